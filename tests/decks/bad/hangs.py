# %% [markdown]
# # A cell that never finishes

# %%
import time

time.sleep(120)
