# %% tags=["raises-exception"]
print("this was supposed to fail")
