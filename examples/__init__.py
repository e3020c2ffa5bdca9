"""Runnable example modules generated from the slides by `python build.py extract`."""
