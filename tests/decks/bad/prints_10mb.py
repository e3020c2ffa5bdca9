# %% [markdown]
# # A cell that prints far too much

# %%
print("x" * 10_000_000)
