"""The two ONNX graphs ``make_onnx_fixtures.py`` writes by hand with ``onnx.helper``: one in the
style of tf2onnx's Keras exports, one in the style of the model zoo's CNTK-made mnist-8."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def init(name: str, a) -> TensorProto:
    return numpy_helper.from_array(np.ascontiguousarray(a, dtype=np.float32), name)


def keras_graph(net, path: Path) -> None:
    """A tf2onnx-style graph: NHWC input, Transpose, Conv, Concat, MatMul + Add, Softmax."""
    p = {k: v.detach().numpy() for k, v in net.state_dict().items()}
    pre = "sequential/"
    nodes = [
        helper.make_node(
            "Transpose", ["input_1"], ["nchw"], perm=[0, 3, 1, 2], name="Transpose__6"
        ),
        helper.make_node(
            "Conv",
            ["nchw", "W1", "B1"],
            ["c1"],
            kernel_shape=[3, 3],
            pads=[1, 1, 1, 1],
            name=pre + "conv2d/Conv2D",
        ),
        helper.make_node("Relu", ["c1"], ["r1"], name=pre + "conv2d/Relu"),
        helper.make_node(
            "Conv", ["r1", "Wa", "Ba"], ["ca"], kernel_shape=[1, 1], name=pre + "branch_a/Conv2D"
        ),
        helper.make_node(
            "Conv",
            ["r1", "Wb", "Bb"],
            ["cb"],
            kernel_shape=[3, 3],
            auto_pad="SAME_UPPER",
            name=pre + "branch_b/Conv2D",
        ),
        helper.make_node("Concat", ["ca", "cb"], ["cat"], axis=1, name=pre + "concatenate/concat"),
        helper.make_node("Relu", ["cat"], ["r2"], name=pre + "re_lu/Relu"),
        helper.make_node(
            "MaxPool",
            ["r2"],
            ["mp"],
            kernel_shape=[4, 4],
            strides=[4, 4],
            name=pre + "max_pooling2d/MaxPool",
        ),
        helper.make_node("Transpose", ["mp"], ["nhwc"], perm=[0, 2, 3, 1], name="Transpose__20"),
        helper.make_node("Reshape", ["nhwc", "flat_shape"], ["flat"], name=pre + "flatten/Reshape"),
        helper.make_node("MatMul", ["flat", "Wd1"], ["m1"], name=pre + "dense/MatMul"),
        helper.make_node("Add", ["m1", "Bd1"], ["a1"], name=pre + "dense/BiasAdd"),
        helper.make_node("Relu", ["a1"], ["r3"], name=pre + "dense/Relu"),
        helper.make_node("MatMul", ["r3", "Wd2"], ["m2"], name=pre + "dense_1/MatMul"),
        helper.make_node("Add", ["m2", "Bd2"], ["a2"], name=pre + "dense_1/BiasAdd"),
        helper.make_node("Softmax", ["a2"], ["dense_1"], axis=-1, name=pre + "dense_1/Softmax"),
    ]
    inits = [
        init("W1", p["conv1.weight"]),
        init("B1", p["conv1.bias"]),
        init("Wa", p["a.weight"]),
        init("Ba", p["a.bias"]),
        init("Wb", p["b.weight"]),
        init("Bb", p["b.bias"]),
        numpy_helper.from_array(np.array([-1, 7 * 7 * 8], dtype=np.int64), "flat_shape"),
        init("Wd1", p["fc1.weight"].T),
        init("Bd1", p["fc1.bias"]),
        init("Wd2", p["fc2.weight"].T),
        init("Bd2", p["fc2.bias"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tf2onnx",
        [helper.make_tensor_value_info("input_1", TensorProto.FLOAT, ["unk__21", 28, 28, 1])],
        [helper.make_tensor_value_info("dense_1", TensorProto.FLOAT, ["unk__22", 10])],
        inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 13)],
        producer_name="tf2onnx",
        producer_version="1.16.1",
    )
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def cntk_graph(net, path: Path) -> None:
    """An mnist-8-style graph: Conv without bias + broadcasting Add of a (C,1,1) initializer,
    SAME_UPPER padding, the dense weight stored (16,4,4,10) and reshaped by a constant shape,
    Shape/Gather/Unsqueeze/Concat arithmetic feeding the flatten Reshape, an unused initializer."""
    p = {k: v.detach().numpy() for k, v in net.state_dict().items()}
    nodes = [
        helper.make_node(
            "Reshape",
            ["Parameter193", "Parameter193_reshape1_shape"],
            ["Parameter193_reshape1"],
            name="Times212_reshape1",
        ),
        helper.make_node(
            "Conv",
            ["Input3", "Parameter5"],
            ["Convolution28_Output_0"],
            kernel_shape=[5, 5],
            strides=[1, 1],
            auto_pad="SAME_UPPER",
            group=1,
            dilations=[1, 1],
            name="Convolution28",
        ),
        helper.make_node(
            "Add", ["Convolution28_Output_0", "Parameter6"], ["Plus30_Output_0"], name="Plus30"
        ),
        helper.make_node("Relu", ["Plus30_Output_0"], ["ReLU32_Output_0"], name="ReLU32"),
        helper.make_node(
            "MaxPool",
            ["ReLU32_Output_0"],
            ["Pooling66_Output_0"],
            kernel_shape=[2, 2],
            strides=[2, 2],
            pads=[0, 0, 0, 0],
            auto_pad="NOTSET",
            name="Pooling66",
        ),
        helper.make_node(
            "Conv",
            ["Pooling66_Output_0", "Parameter87"],
            ["Convolution110_Output_0"],
            kernel_shape=[5, 5],
            auto_pad="SAME_UPPER",
            name="Convolution110",
        ),
        helper.make_node(
            "Add", ["Convolution110_Output_0", "Parameter88"], ["Plus112_Output_0"], name="Plus112"
        ),
        helper.make_node("Relu", ["Plus112_Output_0"], ["ReLU114_Output_0"], name="ReLU114"),
        helper.make_node(
            "MaxPool",
            ["ReLU114_Output_0"],
            ["Pooling160_Output_0"],
            kernel_shape=[3, 3],
            strides=[3, 3],
            name="Pooling160",
        ),
        helper.make_node("Shape", ["Pooling160_Output_0"], ["pool_shape"], name="Shape_batch"),
        helper.make_node("Gather", ["pool_shape", "zero"], ["batch"], axis=0, name="Gather_batch"),
        helper.make_node("Unsqueeze", ["batch"], ["batch_1d"], axes=[0], name="Unsqueeze_batch"),
        helper.make_node(
            "Cast", ["batch_1d"], ["batch_i64"], to=TensorProto.INT64, name="Cast_batch"
        ),
        helper.make_node(
            "Concat", ["batch_i64", "minus_one"], ["flat_shape"], axis=0, name="Concat_shape"
        ),
        helper.make_node(
            "Reshape",
            ["Pooling160_Output_0", "flat_shape"],
            ["Pooling160_Output_0_reshape0"],
            name="Times212_reshape0",
        ),
        helper.make_node(
            "MatMul",
            ["Pooling160_Output_0_reshape0", "Parameter193_reshape1"],
            ["Times212_Output_0"],
            name="Times212",
        ),
        helper.make_node(
            "Add", ["Times212_Output_0", "Parameter194"], ["Plus214_Output_0"], name="Plus214"
        ),
    ]
    inits = [
        init("Parameter5", p["conv1.weight"]),
        init("Parameter6", p["conv1.bias"].reshape(8, 1, 1)),
        init("Parameter87", p["conv2.weight"]),
        init("Parameter88", p["conv2.bias"].reshape(16, 1, 1)),
        init("Parameter193", p["fc.weight"].T.reshape(16, 4, 4, 10)),
        numpy_helper.from_array(np.array([256, 10], dtype=np.int64), "Parameter193_reshape1_shape"),
        init("Parameter194", p["fc.bias"].reshape(1, 10)),
        numpy_helper.from_array(np.array(0, dtype=np.int64), "zero"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "minus_one"),
        init("Parameter_unused", np.linspace(-1, 1, 12).reshape(3, 4)),
    ]
    graph = helper.make_graph(
        nodes,
        "CNTKGraph",
        [helper.make_tensor_value_info("Input3", TensorProto.FLOAT, [1, 1, 28, 28])],
        [helper.make_tensor_value_info("Plus214_Output_0", TensorProto.FLOAT, [1, 10])],
        inits,
    )
    # IR 3, as mnist-8: every initializer is also listed as a graph input
    graph.input.extend(helper.make_tensor_value_info(t.name, t.data_type, t.dims) for t in inits)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 8)],
        producer_name="CNTK",
        producer_version="2.5.1",
    )
    model.ir_version = 3
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
