"""``/api/models``: the installed models, running one on an input (predict, activations, feature
maps), its weights, one unit's connections, and managing models (import, rename, delete, export).
"""
