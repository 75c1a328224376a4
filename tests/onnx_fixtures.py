"""The committed ONNX fixtures (``scripts/make_onnx_fixtures.py``) and onnxruntime references.

Only ``onnx`` and ``onnxruntime`` are needed: the reference outputs are computed here, at test
time, on real MNIST test digits.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnx.inliner
import onnxruntime as ort

from engine.convention import to_network
from engine.data import read_idx
from engine.model import Model
from engine.onnx_import import import_onnx

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "onnx"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text())
NAMES = sorted(MANIFEST)


def fixture_bytes(name: str) -> tuple[bytes, dict[str, bytes]]:
    """The ``.onnx`` bytes and its external-data files (by file name) for fixture ``name``."""
    path = FIXTURES / name
    external = {
        p.name: p.read_bytes() for p in path.parent.glob(path.name + ".data") if p.is_file()
    }
    return path.read_bytes(), external


def imported(name: str, **kwargs) -> Model:
    """Fixture ``name`` imported by the engine (``kwargs``: ``import_onnx``'s, e.g. convention)."""
    data, external = fixture_bytes(name)
    return import_onnx(data, external, name=name, source=name, **kwargs)


def mnist_digits(n: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` MNIST test digits as ink ``(n, 1, 28, 28)`` in [0, 1], and labels."""
    images = read_idx(ROOT / "data" / "mnist" / "t10k-images-idx3-ubyte.gz")[:n]
    labels = read_idx(ROOT / "data" / "mnist" / "t10k-labels-idx1-ubyte.gz")[:n]
    return (images.astype(np.float32) / 255.0)[:, None], labels.astype(np.int64)


def digits_for(name: str, n: int = 20) -> np.ndarray:
    """The first ``n`` MNIST test digits as fixture ``name``'s network input."""
    return network_input(name, mnist_digits(n)[0])


def network_input(name: str, ink: np.ndarray) -> np.ndarray:
    """Ink under the fixture's input convention: what the model was trained on."""
    return to_network(ink, MANIFEST[name]["input"])


def _layout(x: np.ndarray, kind: str) -> np.ndarray:
    """NCHW ``x`` as the ONNX input is declared."""
    if kind == "nhwc":
        return x.transpose(0, 2, 3, 1)
    if kind == "nhw":
        return x[:, 0]
    if kind == "flat":
        return x.reshape(len(x), -1)
    return x


def run_onnxruntime(name: str, x: np.ndarray, kind: str, extra_outputs=()) -> list[np.ndarray]:
    """onnxruntime's graph output and ``extra_outputs`` tensors for NCHW batch ``x``.

    Runs in the batch the file declares (one at a time for a batch of 1 or no batch axis);
    the local functions are inlined first so their inner tensors can be read.
    """
    model = onnx.load(str(FIXTURES / name))  # loads external data from beside the file
    model = onnx.inliner.inline_local_functions(model)
    for t in extra_outputs:
        model.graph.output.append(onnx.ValueInfoProto(name=t))
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    declared = inp.shape[0]
    step = declared if isinstance(declared, int) and kind != "chw" else len(x)
    if kind == "chw":
        step = 1
    names = [o.name for o in sess.get_outputs()]
    chunks = []
    for i in range(0, len(x), step):
        xi = _layout(x[i : i + step], kind)
        if kind == "chw":
            xi = xi[0]
        chunks.append(sess.run(names, {inp.name: xi.astype(np.float32)}))
    return [np.concatenate([c[j] for c in chunks]) for j in range(len(names))]
