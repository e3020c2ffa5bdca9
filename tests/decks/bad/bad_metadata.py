# %% [markdown]
# # Fine so far

# %% slideshow={"slide_type": "slide"} tags=[oops
print("unreachable")
