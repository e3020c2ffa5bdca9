# %% [markdown]
# # A deck with a bug

# %%
numerator = 1
denominator = 0
print(numerator / denominator)
