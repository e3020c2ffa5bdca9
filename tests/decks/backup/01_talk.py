# %% [markdown] slideshow={"slide_type": "slide"} minutes=2
# # A talk with backup slides

# %% [markdown] slideshow={"slide_type": "notes"}
# Welcome.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Main two

# %%
answer = 6 * 7
answer

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Deeper into two

# %%
answer + 1

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Main three

# %% [markdown] slideshow={"slide_type": "slide"} minutes=1
# # Second section

# %% [markdown] slideshow={"slide_type": "slide"} tags=["backup"]
# # A backup stack

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Its second slide
