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
from make_onnx_fixtures import export
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


def two_outputs(path: Path, rng=None) -> None:
    export(TwoOutputs().eval(), torch.zeros(1, 3, 32, 32), path, 13, True, ("features", "scores"))


def scores_twice(path: Path, rng=None) -> None:
    two_outputs(path)
    duplicate_output(path)


def unbatched(path: Path, rng=None) -> None:
    export_dynamo(Unbatched().eval(), torch.zeros(3, 32, 32), path)


NCHW, CHW, NHWC = ["N", 3, 32, 32], [3, 32, 32], ["unk__1", 32, 32, 3]
TWO = ("features", "scores")
BUILT = [  # file, how, input, exporter, outputs, what it exercises
    ("two_outputs.onnx", two_outputs, NCHW, "torchscript", TWO,
     "two outputs: an intermediate (N, 128) features tensor, then the (N, 10) scores"),
    ("scores_twice.onnx", scores_twice, NCHW, "torchscript + onnx", (*TWO, "scores"),
     "the scores listed twice among the outputs, after the features"),
    ("unbatched.onnx", unbatched, CHW, "dynamo", ("output",),
     "one image, no batch axis in or out"),
    ("weights_as_inputs.onnx", weights_as_inputs_graph, NHWC, "onnx.helper (tf2onnx style)",
     ("probs",), "IR 3, weights listed as graph inputs with initialisers; NHWC, BatchNorm"),
    ("min_max_clamp.onnx", min_max_graph, NCHW, "onnx.helper (tf2onnx style)", ("probs",),
     "ReLU6 as Max/Min by constants, lone Max and Min, HardSigmoid(0.2)·x, Squeeze"),
    ("lrn.onnx", lrn_graph, [1, 3, 32, 32], "onnx.helper (model zoo AlexNet style)", ("prob",),
     "LRN (size 5, bias 2; size 3 with a large alpha), Dropout, Reshape, Gemm transB=0, Softmax"),
]  # fmt: skip


def main() -> None:
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    manifest = {}

    def record(file, input_shape, exporter, outputs, notes):
        opsets = onnx.load(str(OUT / file)).opset_import
        opset = next(o.version for o in opsets if o.domain in ("", "ai.onnx"))
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
        export(net, torch.zeros(1, 3, 32, 32), OUT / file, opset, dynamic_batch=True)
        record(file, NCHW, "torchscript", ("output",), notes)
    rng = np.random.default_rng(23)
    for seed, (file, build, input_shape, exporter, outputs, notes) in enumerate(BUILT, 20):
        torch.manual_seed(seed)
        build(OUT / file, rng)
        record(file, input_shape, exporter, outputs, notes)
    (OUT / "manifest.json").write_text(json.dumps(dict(sorted(manifest.items())), indent=2) + "\n")
    for f in sorted(OUT.glob("*.onnx")):
        print(f"  {f.name}: {f.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
