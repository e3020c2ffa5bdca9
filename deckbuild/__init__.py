"""The machinery behind build.py: one module per stage, from reading slides to serving the deck."""

import os

# jupyter_core warns on import unless told which path scheme to use; choose the future one.
# Set before any module of the package imports jupyter_core (through nbformat or nbclient).
os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
