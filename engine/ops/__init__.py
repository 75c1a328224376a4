"""Pure functions: each op a ``*_forward -> (out, cache)`` / ``*_backward(dout, cache)`` pair."""
