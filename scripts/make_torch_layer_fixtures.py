"""Write tests/engine/data/torch_layers.npz: PyTorch's outputs (and gradients) for the layers
whose semantics we follow, so the tests compare against PyTorch without needing it.

Run with the PyTorch venv:  /work/torch-venv/bin/python scripts/make_torch_layer_fixtures.py
Every case is float64 and seeded; the file is a few tens of kB.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

OUT = Path(__file__).resolve().parents[1] / "tests" / "engine" / "data" / "torch_layers.npz"

# (name, H, W, kernel, stride, padding, ceil_mode, count_include_pad)
POOLS = [
    ("a", 5, 5, 2, 2, 0, True, True),
    ("b", 6, 7, 3, 2, 1, True, True),
    ("c", 6, 7, 3, 2, 1, True, False),
    ("d", 5, 5, 3, 3, 1, True, True),  # the last ceil window would start in the right padding
    ("e", 7, 6, (3, 2), (2, 2), (1, 1), False, False),
    ("f", 4, 4, 2, 2, 1, True, False),
    ("g", 8, 8, 3, 3, 0, True, True),
]


def main() -> None:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    arrays: dict[str, np.ndarray] = {}

    def t(a, grad=False):
        return torch.tensor(a, dtype=torch.float64, requires_grad=grad)

    for name, H, W, k, s, p, ceil, cip in POOLS:
        x = rng.standard_normal((2, 3, H, W))
        dout_key = f"pool_{name}"
        for mode in ("max", "avg"):
            xt = t(x, True)
            if mode == "max":
                y = F.max_pool2d(xt, k, s, p, ceil_mode=ceil)
            else:
                y = F.avg_pool2d(xt, k, s, p, ceil_mode=ceil, count_include_pad=cip)
            dout = rng.standard_normal(tuple(y.shape))
            y.backward(t(dout))
            arrays[f"{dout_key}_{mode}_x"] = x
            arrays[f"{dout_key}_{mode}_out"] = y.detach().numpy()
            arrays[f"{dout_key}_{mode}_dout"] = dout
            arrays[f"{dout_key}_{mode}_dx"] = xt.grad.numpy()

    # batch norm: two training steps then evaluation, 2-D and 1-D
    for name, shape in (("bn2d", (4, 3, 5, 5)), ("bn1d", (6, 3)), ("bn1d_l", (4, 3, 7))):
        C = shape[1]
        bn = (torch.nn.BatchNorm2d if len(shape) == 4 else torch.nn.BatchNorm1d)(
            C, eps=1e-3, momentum=0.2
        ).double()
        with torch.no_grad():
            bn.weight.copy_(t(rng.uniform(0.5, 1.5, C)))
            bn.bias.copy_(t(rng.uniform(-0.5, 0.5, C)))
        arrays[f"{name}_weight"] = bn.weight.detach().numpy().copy()
        arrays[f"{name}_bias"] = bn.bias.detach().numpy().copy()
        bn.train()
        for step in range(2):
            x = rng.standard_normal(shape) * 2 + 1
            xt = t(x, True)
            y = bn(xt)
            dout = rng.standard_normal(shape)
            y.backward(t(dout))
            arrays[f"{name}_train{step}_x"] = x
            arrays[f"{name}_train{step}_out"] = y.detach().numpy()
            arrays[f"{name}_train{step}_dout"] = dout
            arrays[f"{name}_train{step}_dx"] = xt.grad.numpy()
            arrays[f"{name}_train{step}_dweight"] = bn.weight.grad.numpy().copy()
            arrays[f"{name}_train{step}_dbias"] = bn.bias.grad.numpy().copy()
            bn.weight.grad = None
            bn.bias.grad = None
            arrays[f"{name}_train{step}_running_mean"] = bn.running_mean.numpy().copy()
            arrays[f"{name}_train{step}_running_var"] = bn.running_var.numpy().copy()
        bn.eval()
        x = rng.standard_normal(shape)
        arrays[f"{name}_eval_x"] = x
        arrays[f"{name}_eval_out"] = bn(t(x)).detach().numpy()

    # grouped and depthwise convolution
    for name, C, Fo, groups, k, s, p, d in (
        ("g2", 4, 6, 2, 3, 1, 1, 1),
        ("dw", 3, 3, 3, 3, 2, 1, 1),
        ("dwm", 2, 6, 2, (3, 2), 1, (1, 0), (2, 1)),
    ):
        conv = torch.nn.Conv2d(C, Fo, k, s, p, d, groups=groups).double()
        x = rng.standard_normal((2, C, 7, 8))
        xt = t(x, True)
        y = conv(xt)
        dout = rng.standard_normal(tuple(y.shape))
        y.backward(t(dout))
        for key, value in {
            "x": x,
            "weight": conv.weight.detach().numpy(),
            "bias": conv.bias.detach().numpy(),
            "out": y.detach().numpy(),
            "dout": dout,
            "dx": xt.grad.numpy(),
            "dweight": conv.weight.grad.numpy(),
            "dbias": conv.bias.grad.numpy(),
        }.items():
            arrays[f"conv_{name}_{key}"] = value

    # activations
    x = rng.standard_normal((3, 5)) * 3
    arrays["act_x"] = x
    arrays["act_leakyrelu"] = F.leaky_relu(t(x), 0.2).numpy()
    arrays["act_elu"] = F.elu(t(x), 0.7).numpy()
    arrays["act_sigmoid"] = torch.sigmoid(t(x)).numpy()
    arrays["act_tanh"] = torch.tanh(t(x)).numpy()
    arrays["act_logsoftmax"] = F.log_softmax(t(x), dim=1).numpy()

    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, {len(arrays)} arrays)")


if __name__ == "__main__":
    main()
