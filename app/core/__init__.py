"""The shared core every feature stands on: settings (``CNN_EXPLORER_*``), errors, middleware,
shared dependencies, the cost bounds and heavy slots, the model registry, image decoding, PNG
rendering, the colour palette and the request/response bodies several features share.

The core imports no feature package.
"""
