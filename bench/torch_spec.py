"""An engine chain model rebuilt as a PyTorch ``nn.Sequential`` with the same weights, for
benchmarks that time the two on the same architecture (run with a venv that has torch).

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
    if layer.type in simple:
        return simple[layer.type]()
    raise ValueError(f"{layer.name}: no PyTorch twin for layer type {layer.type!r} here")


def to_torch(torch, model):
    """``model`` (an engine chain) → ``nn.Sequential`` in the same order, same parameters and
    buffers (BatchNorm running statistics), float32."""
    if not model.is_chain:
        raise ValueError("only chain models are translated")
    net = torch.nn.Sequential(*(_module(torch.nn, layer) for layer in model.layers))
    with torch.no_grad():
        for layer, module in zip(model.layers, net, strict=True):
            arrays = {**layer.params, **layer.buffers}
            for key, tensor in [*module.named_parameters(), *module.named_buffers()]:
                if key in arrays:  # not num_batches_tracked, which the engine keeps only if asked
                    tensor.copy_(torch.from_numpy(arrays[key]))
    return net
