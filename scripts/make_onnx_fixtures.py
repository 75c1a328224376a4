"""Build the small ONNX models the importer's tests read: ``tests/fixtures/onnx/``.

Run with the PyTorch venv (the test suite itself needs only ``onnx`` and ``onnxruntime``):

    /work/torch-venv/bin/python scripts/make_onnx_fixtures.py [--data-dir data/mnist]

Each net is trained briefly (one pass over 12,000 MNIST training digits, fixed seeds) so that it
gives sensible answers in the explorer, then exported the way people really export:
PyTorch's TorchScript exporter at opsets 9-17 (one with ONNX local functions), the dynamo exporter
(opset 18+, weights as external data ``model.onnx`` + ``model.onnx.data``), and two graphs written
with ``onnx.helper`` in the style of tf2onnx (Keras, NHWC) and of the ONNX model zoo's CNTK-made
mnist-8, carrying weights trained in PyTorch twins. ``manifest.json`` records, per file, the input
convention it was trained with (``{"invert", "scale", "mean", "std"}`` as in api.md) and what it
exercises. The tests compute reference outputs with onnxruntime at test time.
"""

from __future__ import annotations

import argparse
import gzip
import json
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import helper
from onnx_fixture_graphs import cntk_graph, keras_graph
from onnx_fixture_nets import (
    Block,
    BNDropout,
    CNTKTwin,
    ConcatBranch,
    DepthwiseELU,
    Flat784,
    KerasTwin,
    LeNet,
    NoBatch,
    PaddedLogOfSoftmax,
    Residual,
    SmallLogSoftmax,
    Twin,
)
from torch import nn
from torch.nn import functional as F

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "onnx"
TOTENSOR = {"invert": False, "scale": 1.0, "mean": [0.0], "std": [1.0]}
NORMALIZE = {"invert": False, "scale": 1.0, "mean": [0.1307], "std": [0.3081]}
RAW255 = {"invert": False, "scale": 255.0, "mean": [0.0], "std": [1.0]}


# -- data and training ----------------------------------------------------------------------


def read_idx(path: Path) -> np.ndarray:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    ndim = raw[3]
    dims = np.frombuffer(raw[4 : 4 + 4 * ndim], dtype=">u4").astype(int)
    return np.frombuffer(raw[4 + 4 * ndim :], dtype=np.uint8).reshape(dims)


def train_images(data_dir: Path, n: int = 12000):
    """The first ``n`` training digits as (n, 1, 28, 28) floats in [0, 1] and their labels."""
    x = read_idx(data_dir / "train-images-idx3-ubyte.gz")[:n].astype(np.float32) / 255.0
    y = read_idx(data_dir / "train-labels-idx1-ubyte.gz")[:n].astype(np.int64)
    return torch.from_numpy(x[:, None]), torch.from_numpy(y)


def convention(x: torch.Tensor, conv: dict) -> torch.Tensor:
    """Apply an input convention to ink values in [0, 1], as the app does."""
    x = 1 - x if conv["invert"] else x
    return (x * conv["scale"] - conv["mean"][0]) / conv["std"][0]


def train(net: nn.Module, data, conv: dict, seed: int, log_probs=False, epochs=1, lr=2e-3):
    """``epochs`` passes of Adam over ``data``; the net takes (N, 1, 28, 28) under ``conv``."""
    torch.manual_seed(seed)
    x, y = data
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    net.train()
    order = torch.cat([torch.randperm(len(x)) for _ in range(epochs)])
    for i in range(0, len(order), 64):
        idx = order[i : i + 64]
        out = net(convention(x[idx], conv))
        loss = F.nll_loss(out, y[idx]) if log_probs else F.cross_entropy(out, y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        pred = net(convention(x[-2000:], conv)).argmax(1)
    print(
        f"  {type(net).__name__}: train accuracy on the last 2000 seen "
        f"{float((pred == y[-2000:]).float().mean()):.3f}"
    )
    return net


# -- exporting ------------------------------------------------------------------------------


def export(
    net, example, path: Path, opset: int, dynamic_batch=False, outputs=("output",), **kwargs
):
    axes = {name: {0: "N"} for name in ("input", *outputs)} if dynamic_batch else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net,
            (example,),
            str(path),
            dynamo=False,
            opset_version=opset,
            input_names=["input"],
            output_names=list(outputs),
            dynamic_axes=axes,
            **kwargs,
        )
    onnx.checker.check_model(onnx.load(str(path)))


def insert_dropouts(path: Path, after: dict[str, float]) -> None:
    """Put a Dropout node (inference: identity) after each node of op type ``after`` names.

    The TorchScript exporter drops Dropout in eval mode; other exporters (and training-mode
    exports) keep it, so the importer must map it.
    """
    model = onnx.load(str(path))
    g = model.graph
    nodes = []
    for node in g.node:
        nodes.append(node)
        ratio = after.pop(node.op_type, None)
        if ratio is None:
            continue
        out = node.output[0]
        new = out + "_predrop"
        n_drop = sum(n.op_type == "Dropout" for n in nodes) + 1
        node.output[0] = new
        nodes.append(
            helper.make_node("Dropout", [new], [out], ratio=ratio, name=f"/drop{n_drop}/Dropout")
        )
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def dynamo_external(net: nn.Module, directory: Path) -> None:
    """The dynamo exporter's model, every weight as external data in ``model.onnx.data``."""
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / "tmp.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            net,
            (torch.zeros(1, 1, 28, 28),),
            dynamo=True,
            input_names=["input"],
            output_names=["output"],
            verbose=False,
        )
    program.save(str(tmp))
    model = onnx.load(str(tmp))
    for f in directory.glob("tmp.onnx*"):
        f.unlink()
    onnx.save(
        model,
        str(directory / "model.onnx"),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="model.onnx.data",
        size_threshold=64,
    )
    onnx.checker.check_model(str(directory / "model.onnx"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default="/work/shared/datasets/mnist", help="MNIST IDX files")
    args = ap.parse_args()
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    data = train_images(Path(args.data_dir))
    x1 = torch.zeros(1, 1, 28, 28)
    manifest = {}

    def record(file, conv, declared, opset, exporter, notes):
        manifest[file] = {
            "input": conv,
            "declared_input": declared,
            "opset": opset,
            "exporter": exporter,
            "notes": notes,
        }

    def torchscript(net, example, file, opset, conv, notes, dynamic_batch=False, **kwargs):
        """Export with the TorchScript exporter and record it: the declared input is the
        example's shape, its batch axis ``N`` when ``dynamic_batch``."""
        export(net, example, OUT / file, opset, dynamic_batch, **kwargs)
        dims = [str(d) for d in example.shape]
        declared = "x".join(["N", *dims[1:]] if dynamic_batch else dims)
        record(file, conv, declared, opset, "torchscript", notes)

    torch.manual_seed(1)
    net = train(LeNet(), data, NORMALIZE, 1)
    torchscript(
        net, x1, "lenet.onnx", 13, NORMALIZE, "LeNet trained with Normalize((0.1307,), (0.3081,))"
    )

    torch.manual_seed(2)
    net = train(BNDropout(), data, TOTENSOR, 2)
    # without constant folding the exporter keeps BatchNormalization (else fused into the convs)
    torchscript(
        net,
        x1,
        "bn_dropout.onnx",
        11,
        TOTENSOR,
        "stride-2 convs, BatchNorm 2-D and 1-D, Dropout, Identity of initializers",
        dynamic_batch=True,
        do_constant_folding=False,
    )
    insert_dropouts(OUT / "bn_dropout.onnx", {"Relu": 0.25, "Flatten": 0.5})

    torch.manual_seed(3)
    net = train(Residual(), data, TOTENSOR, 3)
    torchscript(
        net,
        x1,
        "residual.onnx",
        12,
        TOTENSOR,
        "residual block, Clip(min=0), x.view(x.size(0), -1) shape arithmetic",
        dynamic_batch=True,
    )

    torch.manual_seed(4)
    net = train(ConcatBranch(), data, TOTENSOR, 4)
    torchscript(
        net,
        torch.zeros(10, 1, 28, 28),
        "concat.onnx",
        10,
        TOTENSOR,
        "concat of two conv branches, LeakyReLU, AvgPool ceil_mode, Tanh; fixed batch 10",
    )

    torch.manual_seed(5)
    net = train(DepthwiseELU(), data, TOTENSOR, 5, epochs=2, lr=5e-3)
    torchscript(
        net,
        x1,
        "depthwise_elu.onnx",
        14,
        TOTENSOR,
        "depthwise and grouped convs, ELU, Sigmoid, AvgPool ceil_mode + count_include_pad=False",
        dynamic_batch=True,
    )

    torch.manual_seed(6)
    net = train(SmallLogSoftmax(), data, TOTENSOR, 6, log_probs=True)
    torchscript(
        NoBatch(net),
        torch.zeros(1, 28, 28),
        "logsoftmax_nobatch.onnx",
        9,
        TOTENSOR,
        "LogSoftmax head; input with no batch axis",
    )

    torch.manual_seed(7)
    net = train(PaddedLogOfSoftmax(), data, TOTENSOR, 7, log_probs=True)
    torchscript(
        Flat784(net),
        torch.zeros(1, 784),
        "flat784_log_softmax.onnx",
        16,
        TOTENSOR,
        "(N, 784) input, asymmetric Pad, MaxPool ceil_mode, Log(Softmax)",
        dynamic_batch=True,
    )

    torch.manual_seed(8)
    net = train(Twin(), data, TOTENSOR, 8, epochs=3, lr=5e-3)
    torchscript(
        net,
        x1,
        "twin_legacy.onnx",
        17,
        TOTENSOR,
        "the same net as dynamo/model.onnx; residual block, GlobalAveragePool, Softmax",
        dynamic_batch=True,
    )
    torchscript(
        net,
        x1,
        "twin_functions.onnx",
        15,
        TOTENSOR,
        "the same net, its residual Block as an ONNX local function",
        export_modules_as_functions={Block},
    )
    dynamo_external(net, OUT / "dynamo")
    opset = next(
        o.version
        for o in onnx.load(
            str(OUT / "dynamo" / "model.onnx"), load_external_data=False
        ).opset_import
        if o.domain == ""
    )
    record(
        "dynamo/model.onnx",
        TOTENSOR,
        "1x1x28x28",
        opset,
        "dynamo",
        "the same net; weights in model.onnx.data",
    )

    # graphs written with onnx.helper in two other exporters' styles, from nets trained here
    styles = (
        (9, KerasTwin, TOTENSOR, keras_graph, "keras_nhwc.onnx", "Nx28x28x1", 13,
         "onnx.helper (tf2onnx style)",
         "NHWC input + Transpose, SAME_UPPER, Concat, NHWC flatten, MatMul+Add, Softmax"),
        (10, CNTKTwin, RAW255, cntk_graph, "cntk_mnist8.onnx", "1x1x28x28", 8,
         "onnx.helper (CNTK mnist-8 style)",
         "Conv + broadcasting Add bias, SAME_UPPER, weight Reshape by constant, "
         "Shape/Gather/Concat arithmetic, unused initializer; raw 0-255 input"),
    )  # fmt: skip
    for seed, twin, convention, write, name, shape, opset, exporter, note in styles:
        torch.manual_seed(seed)
        net = train(twin(), data, convention, seed)
        write(net, OUT / name)
        record(name, convention, shape, opset, exporter, note)

    # make_keras_fixture.py's entry (it needs TensorFlow, not PyTorch) is kept as it is
    path = OUT / "manifest.json"
    earlier = json.loads(path.read_text()) if path.exists() else {}
    kept = {k: v for k, v in earlier.items() if "make_keras_fixture" in v["exporter"]}
    path.write_text(json.dumps(dict(sorted({**manifest, **kept}.items())), indent=2) + "\n")
    total = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    print(f"wrote {len(manifest)} models to {OUT.relative_to(ROOT)}, {total:,} bytes in all")


if __name__ == "__main__":
    main()
