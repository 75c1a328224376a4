"""The colour-image ONNX fixtures (``scripts/make_image_fixtures.py``), real pictures to run
them on, and onnxruntime's outputs for those pictures."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "tests" / "fixtures" / "onnx" / "image"
MANIFEST = json.loads((IMAGES / "manifest.json").read_text())
NAMES = sorted(MANIFEST)
SAMPLES = ROOT / "static" / "img" / "samples"
MEAN = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)  # ImageNet's
STD = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)


@cache
def photos(size: int = 32) -> np.ndarray:
    """The bundled colour pictures as a normalised NCHW batch: each 96×96 sample taken every
    third pixel from three offsets, and mirrored — 18 pictures of ``size × size``."""
    out = []
    for path in sorted(SAMPLES.glob("*.png")):
        rgb = np.asarray(Image.open(path).convert("RGB"), np.float32) / 255.0  # (H, W, 3)
        step = rgb.shape[0] // size
        for offset in range(3):
            view = rgb[offset::step, offset::step][:size, :size]
            out += [view, view[:, ::-1]]
    x = np.stack(out).transpose(0, 3, 1, 2)  # (n, 3, size, size)
    return np.ascontiguousarray((x - MEAN) / STD, dtype=np.float32)


def fixture(name: str) -> bytes:
    return (IMAGES / name).read_bytes()


def as_declared(x: np.ndarray, declared: list) -> np.ndarray:
    """An NCHW batch laid out as the file declares its input (NHWC when channels come last)."""
    return x.transpose(0, 2, 3, 1) if declared[-1] == 3 else x


def run_onnxruntime(data: bytes, x: np.ndarray, declared: list) -> dict[str, np.ndarray]:
    """Every graph output for NCHW batch ``x``, by name; one picture at a time when the input
    has a fixed batch of 1 or no batch axis."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    names = [o.name for o in sess.get_outputs()]
    unbatched = len(declared) == 3
    xs = as_declared(x, declared)
    if unbatched or declared[0] == 1:
        runs = [sess.run(names, {name: xi if unbatched else xi[None]}) for xi in xs]
        outs = [np.stack([r[i] for r in runs]) for i in range(len(names))]
        outs = [o.reshape(len(x), *o.shape[2:]) if not unbatched else o for o in outs]
    else:
        outs = sess.run(names, {name: xs})
    return dict(zip(names, outs, strict=False))


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    """max |got - want| over max |want|: the agreement the importer promises (≤ 1e-5)."""
    want = want.reshape(got.shape)
    return float(np.abs(got - want).max() / max(float(np.abs(want).max()), 1e-12))
