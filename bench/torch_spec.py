"""An engine model rebuilt as a PyTorch module with the same weights, for benchmarks that time
the two on the same architecture (run with a venv that has torch). A chain becomes an
``nn.Sequential``; a graph (a residual ``add``) a module that runs the layers in the engine's
order, each reading the outputs its ``inputs`` name (``-1``: the network's input).

Only the layer types the shipped colour models use are translated; anything else raises, so
a benchmark never times a network different from the engine's.
"""

from __future__ import annotations


def _module(nn, layer):
    """One engine layer → its PyTorch module (untrained; weights are copied after)."""
    c = layer.config()
    if layer.type == "conv2d":
        return nn.Conv2d(
            c["in_channels"],
            c["out_channels"],
            tuple(c["kernel_size"]),
            stride=tuple(c["stride"]),
            padding=tuple(c["padding"]),
            dilation=tuple(c["dilation"]),
            bias=c["bias"],
            groups=c.get("groups", 1),
        )
    if layer.type == "batchnorm2d":
        return nn.BatchNorm2d(c["num_features"], eps=c["eps"], momentum=c["momentum"])
    if layer.type == "dense":
        return nn.Linear(c["in_features"], c["out_features"], bias=c["bias"])
    if layer.type == "maxpool2d":
        return nn.MaxPool2d(tuple(c["kernel_size"]), tuple(c["stride"]), tuple(c["padding"]))
    if layer.type == "globalavgpool":
        return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())  # (N, C, H, W) → (N, C)
    simple = {"relu": nn.ReLU, "flatten": nn.Flatten, "softmax": lambda: nn.Softmax(dim=1)}
    if layer.type == "add":
        return _Add()
    if layer.type in simple:
        return simple[layer.type]()
    raise ValueError(f"{layer.name}: no PyTorch twin for layer type {layer.type!r} here")


def _Add():
    """``x + y``: the engine's two-input ``add`` (a residual sum), as a module."""
    import torch

    class Add(torch.nn.Module):
        def forward(self, x, y):
            return x + y

    return Add()


def _graph(torch, modules, inputs):
    """The layers run in order, layer i on the outputs of ``inputs[i]`` (-1: the input). A
    slice (``net[:-1]``, to the logits) keeps the first layers, whose inputs are the same."""

    class Graph(torch.nn.Sequential):
        def forward(self, x):
            outs = []
            for module, ins in zip(self, inputs, strict=False):  # a slice: a prefix
                outs.append(module(*(x if j < 0 else outs[j] for j in ins)))
            return outs[-1]

    return Graph(*modules)


def to_torch(torch, model):
    """``model`` (an engine model) → a PyTorch module with the layers in the same order, same
    parameters and buffers (BatchNorm running statistics), float32."""
    modules = [_module(torch.nn, layer) for layer in model.layers]
    if model.is_chain:
        net = torch.nn.Sequential(*modules)
    else:
        net = _graph(torch, modules, [list(ins) for ins in model.inputs])
    with torch.no_grad():
        for layer, module in zip(model.layers, net, strict=True):
            arrays = {**layer.params, **layer.buffers}
            for key, tensor in [*module.named_parameters(), *module.named_buffers()]:
                if key in arrays:  # not num_batches_tracked, which the engine keeps only if asked
                    tensor.copy_(torch.from_numpy(arrays[key]))
    return net
