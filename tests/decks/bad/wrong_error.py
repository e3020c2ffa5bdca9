# %% tags=["raises-exception"] raises="TypeError"
{}["missing"]
