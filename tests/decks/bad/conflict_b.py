# %% [markdown]
# # Another file

# %% tags=["example:shared"]
def helper() -> int:
    return 2
