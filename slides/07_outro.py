# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # Any questions?
#
# This isn't your last chance: grab me afterwards, or take the examples home. Every one of
# them is a small module in `examples/` with its own tests, and they run without internet.

# %% [markdown] slideshow={"slide_type": "notes"}
# The seed asked for questions before the examples ("we're going to go over some examples of
# more complex stuff after this"); here the examples are done, so the promise is the code:
# `python build.py extract` regenerates examples/ from the slides, `pytest` runs their tests.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Further reading
#
# - **asyncio**, CPython's documentation: docs.python.org/3/library/asyncio.html
#   (start with "Coroutines and Tasks", then "Developing with asyncio")
# - **aiohttp**, async HTTP client and server: docs.aiohttp.org
# - **requests**, the synchronous HTTP client we compared against: requests.readthedocs.io
# - **Sanic**, the async web framework: sanic.dev

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Further reading: Kafka, and how these slides were made
#
# - **confluent-kafka** (librdkafka underneath; `confluent_kafka.aio` too):
#   docs.confluent.io/platform/current/clients/confluent-kafka-python/html/index.html
# - **aiokafka**, a Kafka client written for asyncio: aiokafka.readthedocs.io
# - **Jupytext**, notebooks as plain `.py` files: jupytext.readthedocs.io
# - **nbconvert**, notebooks executed and rendered: nbconvert.readthedocs.io
# - **reveal.js**, the slide framework: revealjs.com

# %% [markdown] slideshow={"slide_type": "slide"}
# # Thank you!
#
# Introduction to `asyncio`, after Tom Manderson's talk
