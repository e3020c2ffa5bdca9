# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # Fixture deck
#
# ![a square](square.svg)

# %% slideshow={"slide_type": "fragment"}
import sys

print("interpreter:", sys.executable)

# %% [markdown] slideshow={"slide_type": "notes"}
# SPEAKER-NOTE-ONE: say this, do not show it.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## A subslide

# %% tags=["raises-exception"] raises="ZeroDivisionError"
1 / 0

# %% slideshow={"slide_type": "fragment"}
import asyncio

await asyncio.sleep(0.01)
print("top-level await works")

# %% [markdown] slideshow={"slide_type": "skip"}
# SKIPPED-PROSE never reaches the deck.
