# %% [markdown]
# # Output that looks like markup

# %%
print("</section></div><script>window.PWNED = 1</script>")
