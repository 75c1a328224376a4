"""CNN Explorer's web app: the HTTP API over the NumPy engine, and the pages that use it."""
