# %% [markdown]
# # Pictures
#
# ![nothing here](no_such_image.png)
