# %% [markdown] slideshow={"slide_type": "slide"} minutes=0.5
# # Thanks

# %% [markdown] slideshow={"slide_type": "slide"} tags=["backup"]
# # Appendix: on its own

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Appendix, more
