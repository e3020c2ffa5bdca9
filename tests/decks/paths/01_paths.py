# %% [markdown]
# Outputs that name this machine's folders: the project, the home, installed packages and the
# standard library. The deck shows them the same wherever it is built.

# %%
from pathlib import Path

print("here:", Path.cwd())
print("home:", Path.home() / "notes.txt")

# %% tags=["raises-exception"] raises="NotJSONError"
import nbformat

nbformat.reads("{", as_version=4)  # nbformat, installed, calls json, from the standard library
