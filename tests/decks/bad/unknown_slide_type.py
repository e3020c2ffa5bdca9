# %% [markdown] slideshow={"slide_type": "slidee"}
# # Typo
