# %% [markdown]
# # An example cell that only works in a notebook

# %% tags=["example:sleeper"]
import asyncio

await asyncio.sleep(0)
