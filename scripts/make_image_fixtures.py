"""Build the small colour-image ONNX models the importer's tests read (tests/fixtures/onnx/image).

Run with the PyTorch venv (the test suite itself needs only ``onnx`` and ``onnxruntime``):

    python scripts/make_image_fixtures.py

Random weights (fixed seeds), batch norm statistics made non-trivial, every net in eval mode;
exported the way people export: PyTorch's TorchScript exporter at opsets 9-17, the dynamo
exporter for an unbatched net, and two tf2onnx-style graphs written with ``onnx.helper``
(``image_fixture_graphs.py``). ``manifest.json`` records each file's input shape, opset,
exporter, outputs and what it exercises; the tests compute onnxruntime's outputs at test time.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from image_fixture_graphs import lrn_graph, min_max_graph, weights_as_inputs_graph
from image_fixture_nets import (
    CifarCNN,
    FeaturesBN1d,
    InceptionSqueeze,
    MobileNetBlock,
    PadModes,
    ResNetBlocks,
    SeluPRelu,
    ShuffleNet,
    TwoOutputs,
    Unbatched,
)
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "onnx" / "image"


def randomise_statistics(net: nn.Module, seed: int) -> nn.Module:
    """Batch norm running statistics and affine parameters away from 0 and 1, eval mode."""
    g = torch.Generator().manual_seed(seed)
    for m in net.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=g) * 0.4 - 0.2)
            m.running_var.copy_(torch.rand(n, generator=g) * 1.5 + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(n, generator=g) * 0.4 - 0.2)
    return net.eval()


def export(net, example, path: Path, opset: int, outputs=("output",), dynamic_batch=True):
    axes = {name: {0: "N"} for name in ("input", *outputs)} if dynamic_batch else None
    with warnings.catch_warnings(), torch.no_grad():
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
        )
    onnx.checker.check_model(onnx.load(str(path)))


def export_dynamo(net, example, path: Path) -> None:
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            net, (example,), dynamo=True, input_names=["input"], output_names=["output"]
        )
    program.save(str(path))
    model = onnx.load(str(path))  # one file: the weights inline (they are small)
    onnx.save(model, str(path))
    for extra in path.parent.glob(path.name + ".data"):
        extra.unlink()
    onnx.checker.check_model(model)


def duplicate_output(path: Path) -> None:
    """The scores listed twice among the graph outputs, as some exporters write."""
    model = onnx.load(str(path))
    model.graph.output.append(model.graph.output[-1])
    onnx.save(model, str(path))


NETS = [  # file, net, opset, what it exercises
    ("cifar_cnn.onnx", CifarCNN, 13,
     "CIFAR-10-size CNN: Conv+BN, MaxPool, LeakyRelu, AvgPool, Dropout, Gemm"),
    ("mobilenet_block.onnx", MobileNetBlock, 17,
     "HardSwish, ReLU6 (Clip), depthwise, squeeze-and-excitation (ReduceMean, HardSigmoid or "
     "Sigmoid, broadcasting Mul), SiLU (Sigmoid·x), residual Add"),
    ("mobilenet_block_opset11.onnx", MobileNetBlock, 11,
     "the same at opset 11: HardSwish written as x·HardSigmoid(x), Clip with inputs"),
    ("resnet_block.onnx", ResNetBlocks, 13,
     "ResNet basic blocks, stride-2 1×1 projection, MaxPool pads, GlobalAveragePool, Flatten"),
    ("inception_squeeze.onnx", InceptionSqueeze, 12,
     "SqueezeNet fire modules and an Inception block (Concat), MaxPool ceil_mode, AveragePool "
     "count_include_pad=0, Softmax over (N, 10, 1, 1)"),
    ("shufflenet.onnx", ShuffleNet, 13,
     "Split, channel shuffle (Reshape/Transpose/Reshape), Slice, ReduceMean"),
    ("selu_prelu.onnx", SeluPRelu, 10,
     "Selu, PRelu per channel and shared, Elu, MatMul by a weight"),
    ("bn1d_features.onnx", FeaturesBN1d, 9,
     "BatchNormalization on (N, C, 1) features between Unsqueeze and Squeeze"),
    ("pad_modes.onnx", PadModes, 11,
     "Pad reflect / edge / constant before Conv and AveragePool, ceil_mode, count_include_pad"),
]  # fmt: skip


def main() -> None:
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    manifest = {}
    x = torch.zeros(1, 3, 32, 32)

    def record(file, input_shape, opset, exporter, notes, outputs=("output",)):
        manifest[file] = {
            "input_shape": input_shape,
            "opset": opset,
            "exporter": exporter,
            "outputs": list(outputs),
            "notes": notes,
        }

    for seed, (file, make, opset, notes) in enumerate(NETS, start=1):
        torch.manual_seed(seed)
        net = randomise_statistics(make(), seed)
        export(net, x, OUT / file, opset)
        record(file, ["N", 3, 32, 32], opset, "torchscript", notes)

    torch.manual_seed(20)
    export(TwoOutputs().eval(), x, OUT / "two_outputs.onnx", 13, ("features", "scores"))
    record(
        "two_outputs.onnx",
        ["N", 3, 32, 32],
        13,
        "torchscript",
        "two outputs: an intermediate (N, 128) features tensor, then the (N, 10) scores",
        ("features", "scores"),
    )
    torch.manual_seed(21)
    export(TwoOutputs().eval(), x, OUT / "scores_twice.onnx", 13, ("features", "scores"))
    duplicate_output(OUT / "scores_twice.onnx")
    record(
        "scores_twice.onnx",
        ["N", 3, 32, 32],
        13,
        "torchscript + onnx",
        "the scores listed twice among the outputs, after the features",
        ("features", "scores", "scores"),
    )

    torch.manual_seed(22)
    export_dynamo(Unbatched().eval(), torch.zeros(3, 32, 32), OUT / "unbatched.onnx")
    opsets = onnx.load(str(OUT / "unbatched.onnx")).opset_import
    opset = next(o.version for o in opsets if not o.domain)
    record("unbatched.onnx", [3, 32, 32], opset, "dynamo", "one image, no batch axis in or out")

    rng = np.random.default_rng(23)
    weights_as_inputs_graph(OUT / "weights_as_inputs.onnx", rng)
    record(
        "weights_as_inputs.onnx",
        ["unk__1", 32, 32, 3],
        8,
        "onnx.helper (tf2onnx style)",
        "IR 3, weights listed as graph inputs with initialisers; NHWC, BatchNormalization",
        ("probs",),
    )
    min_max_graph(OUT / "min_max_clamp.onnx", rng)
    record(
        "min_max_clamp.onnx",
        ["N", 3, 32, 32],
        9,
        "onnx.helper (tf2onnx style)",
        "ReLU6 as Max/Min by constants, lone Max and Min, HardSigmoid(0.2)·x, Squeeze",
        ("probs",),
    )
    lrn_graph(OUT / "lrn.onnx", rng)
    record(
        "lrn.onnx",
        [1, 3, 32, 32],
        7,
        "onnx.helper (model zoo AlexNet/GoogLeNet style)",
        "LRN (size 5, bias 2; size 3 with a large alpha), Dropout, Reshape, Gemm transB=0, Softmax",
        ("prob",),
    )
    (OUT / "manifest.json").write_text(json.dumps(dict(sorted(manifest.items())), indent=2) + "\n")
    for f in sorted(OUT.glob("*.onnx")):
        print(f"  {f.name}: {f.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
