"""CNN Explorer for people who did not clone the repository: the ``cnn-explorer`` command
(:mod:`cnn_explorer.cli`) and ``show()`` for notebooks (:mod:`cnn_explorer.notebook`).

    from cnn_explorer import show
    show("model.onnx", channels="rgb", mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])

Both import models into a per-user folder (:mod:`cnn_explorer.local`) and serve the app of
``app/`` on it; neither holds any of the app's logic.
"""

from cnn_explorer.notebook import show, stop

__all__ = ["show", "stop"]
