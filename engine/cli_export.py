"""``python -m engine export MODEL.npz OUT.onnx``: a saved model as a standard ONNX file."""

from __future__ import annotations

from pathlib import Path

from engine.model import Model
from engine.onnx_export import OPSET, save_onnx


def add_parser(sub) -> None:
    x = sub.add_parser(
        "export",
        help="write a saved .npz model as an ONNX file (opset 17) onnxruntime can run",
        description="Input 'input' (N, C, H, W) with a symbolic batch N; output 'output' is what "
        "the model's last layer gives. Class labels and the input convention travel as metadata.",
    )
    x.add_argument("model", help="path to a .npz model")
    x.add_argument("out", help="where to write the .onnx file")


def run(args) -> int:
    model = Model.load(args.model)
    out = Path(args.out)
    if out.parent and not out.parent.is_dir():
        raise FileNotFoundError(f"out: directory {str(out.parent)!r} does not exist")
    save_onnx(model, out)
    print(
        f"wrote {out}: {len(model.layers)} layers, {model.num_params:,} parameters, "
        f"opset {OPSET}, {out.stat().st_size:,} bytes"
    )
    return 0
