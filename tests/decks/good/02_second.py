# %% [markdown] slideshow={"slide_type": "slide"}
# ## Second file, tags

# %% tags=["remove-input"]
print("OUTPUT-WITHOUT-INPUT")

# %% tags=["remove-output"]
print("HIDDEN-OUTPUT")

# %% tags=["remove-cell"]
HIDDEN_CELL_MARKER = 1

# %% tags=["skip-execution"]
raise RuntimeError("never executed")

# %% [markdown] slideshow={"slide_type": "-"}
# LAST-CELL in the working directory of this file:

# %%
from pathlib import Path

print("cwd:", Path.cwd().name)
