# %% [markdown]
# # A cell meant to be hidden

# %% tags=["remove_cell"]
SECRET = "this cell was meant to be hidden"
