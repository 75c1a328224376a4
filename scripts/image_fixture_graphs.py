"""The image fixtures ``make_image_fixtures.py`` writes by hand with ``onnx.helper``, in the
style of tf2onnx's Keras exports: weights listed as graph inputs that have initialisers
(opset 8, IR 3), and ReLU6 as Max/Min by constants with Keras's hard sigmoid (opset 9)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT


def _arrays(rng: np.random.Generator, shapes: dict[str, tuple]) -> dict[str, np.ndarray]:
    """Random weights, each scaled by its fan-in so activations stay of order one."""
    out = {}
    for name, shape in shapes.items():
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        scale = 1 / np.sqrt(fan_in) if len(shape) > 1 else 0.1
        out[name] = (rng.standard_normal(shape) * scale).astype(np.float32)
    return out


def _save(nodes, arrays, path, opset, ir, inputs, weights_as_inputs, output="probs", batch="N"):
    inits = [numpy_helper.from_array(a, k) for k, a in arrays.items()]
    declared = list(inputs)
    if weights_as_inputs:  # what tf2onnx and the old converters wrote: every weight an input too
        declared += [
            helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
            for k, a in arrays.items()
        ]
    out = helper.make_tensor_value_info(output, F, [batch, 10])
    graph = helper.make_graph(nodes, "tf2onnx", declared, [out], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = ir
    model.producer_name, model.producer_version = "tf2onnx", "1.6.0"
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def _keras_dense_softmax(features: str) -> list:
    """A Keras Dense layer with a softmax, as tf2onnx writes it: MatMul by ``Wd``, Add ``Bd``."""
    return [
        helper.make_node("MatMul", [features, "Wd"], ["m"]),
        helper.make_node("Add", ["m", "Bd"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"]),
    ]


def weights_as_inputs_graph(path: Path, rng: np.random.Generator) -> None:
    """NHWC input → Transpose → Conv → BatchNormalization (spatial) → Relu → MaxPool → Conv
    → Relu → Reshape → MatMul + Add → Softmax; opset 8, IR 3, weights as inputs too."""
    arrays = _arrays(
        rng,
        {"W1": (8, 3, 3, 3), "B1": (8,), "W2": (16, 8, 3, 3), "B2": (16,), "Wd": (16 * 8 * 8, 10)},
    )
    arrays["Bd"] = np.zeros(10, np.float32) + 0.05
    arrays["gamma"] = rng.uniform(0.5, 1.5, 8).astype(np.float32)
    arrays["beta"] = rng.uniform(-0.2, 0.2, 8).astype(np.float32)
    arrays["mean"] = rng.uniform(-0.2, 0.2, 8).astype(np.float32)
    arrays["var"] = rng.uniform(0.5, 2.0, 8).astype(np.float32)
    arrays["flat_shape"] = np.array([-1, 16 * 8 * 8], np.int64)
    nodes = [
        helper.make_node("Transpose", ["input_1:0"], ["nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["nchw", "W1", "B1"], ["c1"], kernel_shape=[3, 3], pads=[1] * 4),
        helper.make_node(
            "BatchNormalization", ["c1", "gamma", "beta", "mean", "var"], ["bn"], epsilon=1e-3
        ),
        helper.make_node("Relu", ["bn"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node(
            "Conv", ["p1", "W2", "B2"], ["c2"], kernel_shape=[3, 3], auto_pad="SAME_UPPER"
        ),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("MaxPool", ["r2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Transpose", ["p2"], ["nhwc"], perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", ["nhwc", "flat_shape"], ["flat"]),
        *_keras_dense_softmax("flat"),
    ]
    inp = helper.make_tensor_value_info("input_1:0", F, ["unk__1", 32, 32, 3])
    _save(nodes, arrays, path, 8, 3, [inp], weights_as_inputs=True)


def min_max_graph(path: Path, rng: np.random.Generator) -> None:
    """ReLU6 as Max(x, 0) then Min(·, 6); a lone Min and a lone Max by constants; Keras's
    hard sigmoid (alpha 0.2) gating x (a hard swish written out); GlobalAveragePool →
    Squeeze → MatMul + Add → Softmax. Opset 9, NCHW."""
    arrays = _arrays(
        rng, {"W1": (8, 3, 3, 3), "B1": (8,), "W2": (8, 8, 3, 3), "B2": (8,), "Wd": (8, 10)}
    )
    arrays["Bd"] = np.zeros(10, np.float32)
    arrays["zero"] = np.zeros((), np.float32)
    arrays["six"] = np.full((1,), 6.0, np.float32)
    arrays["floor"] = np.full((1,), -0.5, np.float32)
    arrays["ceiling"] = np.full((), 1.5, np.float32)
    arrays["W1"] *= 8  # large pre-activations, so that the 6 ceiling is reached
    nodes = [
        helper.make_node(
            "Conv", ["input", "W1", "B1"], ["c1"], kernel_shape=[3, 3], strides=[2, 2]
        ),
        helper.make_node("Max", ["c1", "zero"], ["m1"], name="conv1/Relu6/max"),
        helper.make_node("Min", ["m1", "six"], ["relu6"], name="conv1/Relu6/min"),
        helper.make_node("Conv", ["relu6", "W2", "B2"], ["c2"], kernel_shape=[3, 3], pads=[1] * 4),
        helper.make_node("Max", ["floor", "c2"], ["lo"], name="floor"),
        helper.make_node("Min", ["lo", "ceiling"], ["hi"], name="ceiling"),
        helper.make_node("Min", ["hi", "six"], ["capped"], name="cap"),  # a second, lone Min
        helper.make_node("HardSigmoid", ["capped"], ["hs"], alpha=0.2, beta=0.5),
        helper.make_node("Mul", ["capped", "hs"], ["swish"]),
        helper.make_node("GlobalAveragePool", ["swish"], ["gap"]),
        helper.make_node("Squeeze", ["gap"], ["sq"], axes=[2, 3]),
        *_keras_dense_softmax("sq"),
    ]
    inp = helper.make_tensor_value_info("input", F, ["N", 3, 32, 32])
    _save(nodes, arrays, path, 9, 4, [inp], weights_as_inputs=False)


def lrn_graph(path: Path, rng: np.random.Generator) -> None:
    """The model zoo's AlexNet/GoogLeNet opening (converted from Caffe): Conv → Relu → LRN →
    MaxPool, twice, then Reshape → Gemm (transB=0) → Dropout → Softmax. Opset 7, batch 1."""
    arrays = _arrays(
        rng,
        {"W1": (16, 3, 5, 5), "B1": (16,), "W2": (24, 16, 3, 3), "B2": (24,), "Wf": (24 * 16, 10)},
    )
    arrays["Bf"] = np.zeros(10, np.float32)
    arrays["shape"] = np.array([1, 24 * 16], np.int64)
    nodes = [
        helper.make_node(
            "Conv",
            ["data_0", "W1", "B1"],
            ["c1"],
            kernel_shape=[5, 5],
            strides=[2, 2],
            pads=[2] * 4,
        ),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("LRN", ["r1"], ["n1"], size=5, alpha=1e-4, beta=0.75, bias=2.0),
        helper.make_node("MaxPool", ["n1"], ["p1"], kernel_shape=[3, 3], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "W2", "B2"], ["c2"], kernel_shape=[3, 3], pads=[1] * 4),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("LRN", ["r2"], ["n2"], size=3, alpha=0.5, beta=0.75, bias=1.0),
        helper.make_node(
            "MaxPool", ["n2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 1, 1]
        ),
        helper.make_node("Reshape", ["p2", "shape"], ["flat"]),
        helper.make_node("Gemm", ["flat", "Wf", "Bf"], ["fc"]),
        helper.make_node("Dropout", ["fc"], ["drop"], ratio=0.5),
        helper.make_node("Softmax", ["drop"], ["prob"]),
    ]
    inp = helper.make_tensor_value_info("data_0", F, [1, 3, 32, 32])
    _save(nodes, arrays, path, 7, 3, [inp], weights_as_inputs=True, output="prob", batch=1)
