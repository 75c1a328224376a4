"""CNN Explorer's engine: a small, vectorised NumPy CNN whose every number can be checked.

Layout (PyTorch's conventions throughout): activations are ``(N, C, H, W)`` float32,
conv weights ``(F, C, kh, kw)``, dense weights ``(out, in)``; convolution is cross-correlation.
"""

__version__ = "0.1.0"
