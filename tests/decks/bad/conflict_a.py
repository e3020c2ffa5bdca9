# %% tags=["example:shared"]
def helper() -> int:
    return 1
