"""A CIFAR-size RGB CNN imported from ONNX (tests/fixtures/onnx/image/cifar_cnn.onnx) with
ImageNet's mean and std, a real CIFAR-10 photo, and onnxruntime's answers on it."""

from __future__ import annotations

import numpy as np
from PIL import Image

from engine.ops.activation import softmax
from tests.engine.onnx_images import IMAGES, MEAN, STD, fixture, run_onnxruntime

ROOT = IMAGES.parents[3]
CONVENTION = {"channels": "rgb", "mean": MEAN.ravel().tolist(), "std": STD.ravel().tolist()}
DECLARED = ["N", 3, 32, 32]


def photo(name: str = "cat_0003.jpg") -> np.ndarray:
    """A CIFAR-10 test photo, (32, 32, 3) in [0, 1]."""
    path = ROOT / "static" / "samples" / "cifar10" / name
    return np.asarray(Image.open(path).convert("RGB"), np.float64) / 255.0


def as_network(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) in [0, 1] → (1, 3, H, W) float32, normalised as the model was trained."""
    x = rgb.transpose(2, 0, 1)[None].astype(np.float32)
    return ((x - MEAN) / STD).astype(np.float32)


def ort_logits(x: np.ndarray) -> np.ndarray:
    """onnxruntime's class scores for NCHW ``x``: (N, K)."""
    (out,) = run_onnxruntime(fixture("cifar_cnn.onnx"), x, DECLARED).values()
    return out.reshape(len(x), -1)


def ort_probs(x: np.ndarray) -> np.ndarray:
    return softmax(ort_logits(x).astype(np.float64))
