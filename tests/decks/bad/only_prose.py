# %% [markdown]
# # Only prose
#
# Not a line of code, and that is fine.
