# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   rise:
#     autolaunch: true
#     controls: false
#     height: 768
#     scroll: false
#     slideNumber: false
#     them: night
#     theme: serif
#     transition: fade
#     width: 1024
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # A RISE deck
#
# Its settings are in the notebook's `rise` metadata.

# %% [markdown] slideshow={"slide_type": "subslide"} cell_style="split"
# ## Split cells
#
# RISE puts this cell beside the next one.

# %% cell_style="split"
print("RISE-CELL-OUTPUT")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Too long for the stage

# %%
print("\n".join(f"line {number}" for number in range(100)))
