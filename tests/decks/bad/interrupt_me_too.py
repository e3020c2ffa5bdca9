# %% [markdown]
# # A long cell, to be interrupted

# %%
import os
import pathlib
import time

pathlib.Path(os.environ["BUILD_TEST_STARTED"], str(os.getpid())).touch()
time.sleep(120)
