"""The convolution anatomy: the playground (``/api/conv``, ``/api/pool``), presets, a real layer's
sparse weight matrix and its M·x + b check. Routes, limits, schemas and service code together.
"""
