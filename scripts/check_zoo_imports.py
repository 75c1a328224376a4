"""Export the ImageNet CNNs of torchvision or timm to ONNX with both PyTorch exporters, import
each with the engine and compare its logits with onnxruntime's — how a user brings a model
trained elsewhere.

    python scripts/check_zoo_imports.py                  # torchvision's, both exporters
    python scripts/check_zoo_imports.py --zoo timm       # 36 of timm's CNNs
    python scripts/check_zoo_imports.py --nets resnet18,densenet121 --exporters dynamo

Needs a Python with torch, torchvision (and timm for ``--zoo timm``), onnx, onnxscript and
onnxruntime — not a test dependency. Weights are the libraries' random initialisation (nothing
is downloaded) with random batch-norm statistics, so folded and unfolded batch norms differ;
the input is one random image of the model's size (224×224; 299×299 for Inception v3).
Prints one row per export: layers, the engine's and PyTorch's largest difference from
onnxruntime relative to the largest logit, and the import time; exits 1 if an import fails or
the engine differs by more than 1e-5 and more than twice PyTorch's own difference.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import logging
import sys
import tempfile
import time
import types
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TORCHVISION = (
    "alexnet,vgg11_bn,resnet18,resnet50,resnext50_32x4d,densenet121,googlenet,inception_v3,"
    "squeezenet1_0,squeezenet1_1,shufflenet_v2_x1_0,mobilenet_v2,mobilenet_v3_small,"
    "mobilenet_v3_large,mnasnet0_5,efficientnet_b0,efficientnet_v2_s,regnet_x_400mf,"
    "regnet_y_400mf,convnext_tiny"
)
TIMM = (
    "ghostnet_100,rexnet_100,dla34,cspresnet50,ese_vovnet19b_dw,selecsls42b,dpn68,"
    "res2net50_26w_4s,resnest14d,hrnet_w18_small,nf_resnet26,tf_efficientnet_b0,mixnet_s,"
    "gernet_s,repvgg_a0,lcnet_050,fbnetc_100,efficientnet_lite0,resnet18d,seresnext26d_32x4d,"
    "skresnet18,darknet53,mobilenetv4_conv_small,ghostnetv2_100,inception_v4,eca_resnet33ts,"
    "gcresnet33ts,regnetz_b16,resnetv2_50x1_bit,xception41,cs3darknet_s,tinynet_a,mobileone_s0,"
    "fastvit_t8,efficientvit_b0,edgenext_xx_small"
)
TOLERANCE = 1e-5  # largest |engine - onnxruntime| over the largest |logit| ...
# ... or, where float32 rounding alone moves further (deep nets, random statistics), within
# twice PyTorch's own difference from onnxruntime on the same model
ROUNDING = 2.0


def torchvision_models():
    """``torchvision.models``; where torchvision's compiled operators do not match the installed
    torch (their registration fails at import), the pure-Python model definitions alone."""
    try:
        import torchvision.models as models

        return models
    except (RuntimeError, ImportError):
        spec = importlib.util.find_spec("torchvision")
        if spec is None:
            raise SystemExit("needs torchvision: pip install torchvision") from None
        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
        package = types.ModuleType("torchvision")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["torchvision"] = package
        import torchvision.models as models

        return models


def build(torch, models, name: str):
    """Architecture ``name`` in eval mode with random batch-norm statistics, and its input;
    ``models`` is ``torchvision.models`` or timm; the same weights every run (seeded)."""
    torch.manual_seed(0)
    if hasattr(models, "create_model"):  # timm
        net = models.create_model(name, pretrained=False).eval()
        size = int(net.default_cfg.get("input_size", (3, 224, 224))[-1])
    else:
        inception = name in ("googlenet", "inception_v3")
        extra = {"aux_logits": False, "init_weights": True} if inception else {}
        net = getattr(models, name)(**extra).eval()
        size = 299 if name == "inception_v3" else 224
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d) and m.running_mean is not None:
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                if m.affine:
                    m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                    m.bias.copy_(torch.randn(m.num_features, generator=g) * 0.1)
    return net, torch.randn(1, 3, size, size, generator=g)


def export(torch, net, x, path: Path, exporter: str) -> None:
    quiet = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(quiet):
        warnings.simplefilter("ignore")
        if exporter == "torchscript":
            torch.onnx.export(
                net, (x,), str(path), input_names=["x"], dynamo=False, opset_version=17
            )
        else:
            torch.onnx.export(net, (x,), str(path), input_names=["x"], external_data=False)


def check(path: Path, x: np.ndarray, reference: np.ndarray) -> tuple:
    """(layers, relative difference of the engine from onnxruntime, PyTorch's (``reference``,
    its logits) from onnxruntime, import s)."""
    import onnxruntime as ort

    from engine.onnx_import import Limits, import_onnx

    t0 = time.perf_counter()
    limits = Limits(max_bytes=1 << 30, max_tensor_elements=1 << 28, max_total_elements=1 << 28)
    model = import_onnx(path.read_bytes(), name=path.stem, limits=limits)
    t1 = time.perf_counter()
    got = model.forward(x)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    want = session.run(None, {session.get_inputs()[0].name: x})[0]
    scale = float(np.abs(want).max()) or 1.0
    diffs = [float(np.abs(a - want).max()) / scale for a in (got, reference)]
    return len(model.layers), *diffs, t1 - t0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--zoo", choices=("torchvision", "timm"), default="torchvision")
    p.add_argument("--nets", help="comma-separated model names (default: the zoo's list above)")
    p.add_argument("--exporters", default="torchscript,dynamo", help="torchscript, dynamo or both")
    args = p.parse_args(argv)
    import torch

    models = torchvision_models()  # timm imports torchvision too
    from torchvision.version import __version__ as torchvision_version

    versions = f"torch {torch.__version__}, torchvision {torchvision_version}"
    if args.zoo == "timm":
        import timm

        models = timm
        versions += f", timm {timm.__version__}"
    logging.getLogger("torch.onnx").setLevel(logging.CRITICAL)  # torchvision's unused ops
    print(versions)
    print(f"{'net':26}{'exporter':13}{'layers':>7}{'engine':>11}{'PyTorch':>11}{'import s':>10}")
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        nets = args.nets or (TIMM if args.zoo == "timm" else TORCHVISION)
        for name in nets.split(","):
            net, x = build(torch, models, name)
            with torch.no_grad():
                logits = net(x).numpy()
            for exporter in args.exporters.split(","):
                path = Path(tmp) / f"{name}_{exporter}.onnx"
                try:
                    export(torch, net, x, path, exporter)
                    layers, diff, torch_diff, t_import = check(path, x.numpy(), logits)
                except Exception as e:  # a row per failure; the rest still run
                    failed += 1
                    print(f"{name:26}{exporter:13}  FAILED: {type(e).__name__}: {str(e)[:300]}")
                    continue
                failed += diff > max(TOLERANCE, ROUNDING * torch_diff)
                diffs = f"{diff:>11.1e}{torch_diff:>11.1e}{t_import:>10.2f}"
                print(f"{name:26}{exporter:13}{layers:>7}{diffs}", flush=True)
    print("all agree" if not failed else f"{failed} failed or differ more than allowed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
