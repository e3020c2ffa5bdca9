# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # Math deck
#
# Euler, inline: $e^{i\pi} + 1 = 0$, and again with parentheses: \(a^2 + b^2 = c^2\).
#
# A sum, displayed:
#
# $$
# \sum_{k=1}^{n} k = \frac{n(n+1)}{2}
# $$
#
# And in brackets: \[\int_0^1 x\,dx = \tfrac{1}{2}\]

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Dollars that are not math
#
# A coffee costs \$5 and a cake \$6, escaped.
#
# In code, `echo $HOME` and `$x$` stay as typed:
#
# ```sh
# price=$5; echo "$price$"
# ```

# %%
print("ONLY $1, from a code cell")

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the integral $\int_0^1 x\,dx$ is a half.
