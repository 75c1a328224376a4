"""A helper process of the split training step: ``python -m engine.split_helper`` (started by
:mod:`engine.split_process`, never by hand).

Protocol, one JSON object per line on stdin and stdout (everything else the process prints goes
to stderr):

- first line in: ``{"architecture", "path", "layout"}`` — the model's architecture
  (:meth:`engine.model.Model.architecture`), the shared file both processes map and where each
  array lives in it (``{name: [offset, shape, dtype]}``: ``param:<key>``, ``grad:<key>``, ``x``,
  ``y``, ``logits``). The model is built with its weights as views of the shared ``param:``
  arrays, so it always trains on what the parent wrote there. Answer: ``{"ready": true}``.
- per step in: ``{"n", "label_smoothing"}``; the helper runs ``train_step(x[:n], y[:n])`` on one
  BLAS thread, writes its gradients and logits into the shared file and answers ``{"loss"}``,
  or ``{"error", "type"}`` if the step raised (the process goes on).
- an empty line or the end of stdin: exit.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np


def views(path: str, layout: dict) -> dict[str, np.ndarray]:
    """``{name: array}``, each a view of the shared file at its offset."""
    mapped = np.memmap(path, dtype=np.uint8, mode="r+")
    return {
        name: np.ndarray(tuple(shape), dtype=np.dtype(dtype), buffer=mapped, offset=offset)
        for name, (offset, shape, dtype) in layout.items()
    }


def build(architecture: dict, shared: dict[str, np.ndarray]):
    """The model of ``architecture`` whose parameters are the shared ``param:`` arrays."""
    from engine.model import Model

    model = Model.from_spec(
        architecture["layers"], tuple(architecture["input_shape"]), seed=None, name="helper"
    )
    for layer in model.layers:
        for key in layer.params:
            layer.params[key] = shared[f"param:{layer.name}.{key}"]
    return model


def step(model, shared: dict[str, np.ndarray], n: int, label_smoothing: float) -> float:
    """One training step on the helper's part; gradients and logits into the shared file."""
    x, y = shared["x"][:n], shared["y"][:n]
    loss, logits = model.train_step(x, y, workers=1, label_smoothing=label_smoothing)
    for key, grad in model.grads().items():
        shared[f"grad:{key}"][...] = grad
    shared["logits"][:n] = logits
    return float(loss)


def serve(lines, answer) -> None:
    """Read requests from ``lines`` and ``answer(dict)`` each, until an empty line."""
    first = json.loads(next(lines))
    shared = views(first["path"], first["layout"])
    model = build(first["architecture"], shared)
    answer({"ready": True})
    for line in lines:
        if not line.strip():
            return
        request = json.loads(line)
        try:
            answer({"loss": step(model, shared, int(request["n"]), request["label_smoothing"])})
        except Exception as e:  # the parent raises it; this process stays ready
            answer({"error": str(e), "type": type(e).__name__})


def main() -> None:
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w")  # the protocol's own channel
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints go to stderr

    def answer(message: dict) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    serve(iter(sys.stdin.readline, ""), answer)


if __name__ == "__main__":
    main()
