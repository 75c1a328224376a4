"""``python -m engine import model.onnx --name … --mean 0.1307 --std 0.3081``: an ONNX file
(and its external data) → a CNN Explorer ``.npz`` in the models directory."""

from __future__ import annotations

import json
import re
from pathlib import Path

from engine import onnx_import
from engine.data import CLASSES, NAMES


def add_parser(sub) -> None:
    p = sub.add_parser("import", help="import an ONNX model as a .npz the app can explore")
    p.add_argument("model", help="the .onnx file")
    p.add_argument("--name", default=None, help="display name (default: the file's stem)")
    p.add_argument(
        "--external-data",
        action="append",
        default=[],
        metavar="FILE",
        help="an external-data file the graph refers to (model.onnx.data); repeatable",
    )
    p.add_argument("--invert", action="store_true", help="the model wants dark ink on white")
    p.add_argument("--scale", type=float, default=1.0, help="multiply [0, 1] ink by this (255)")
    p.add_argument("--mean", type=float, nargs="+", default=[0.0], help="per-channel mean")
    p.add_argument("--std", type=float, nargs="+", default=[1.0], help="per-channel std")
    p.add_argument("--classes", default=None, help='labels: "a,b,c" or a JSON list')
    p.add_argument(
        "--output",
        default=None,
        help="the graph output to import when it has several (default: the class scores)",
    )
    p.add_argument("--dataset", choices=NAMES, default="mnist", help="its test set and labels")
    p.add_argument("--models-dir", default="models", help="where the .npz goes (default: models)")
    p.add_argument("--out", default=None, help="the .npz path (default: MODELS_DIR/<name>.npz)")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")


def _classes(text: str | None) -> list[str] | None:
    if text is None:
        return None
    if text.lstrip().startswith("["):
        value = json.loads(text)
        if not isinstance(value, list):
            raise ValueError("--classes: a JSON list of labels, please")
        return [str(v) for v in value]
    return [c.strip() for c in text.split(",")]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64] or "model"


def run(args) -> int:
    path = Path(args.model)
    external = {Path(f).name: Path(f).read_bytes() for f in args.external_data}
    name = args.name or path.stem
    convention = {"invert": args.invert, "scale": args.scale, "mean": args.mean, "std": args.std}
    model = onnx_import.import_onnx(
        path.read_bytes(),
        external,
        name=name,
        classes=_classes(args.classes),
        convention=convention,
        source=path.name,
        output=args.output,
    )
    if args.classes is None and len(model.classes) == len(CLASSES[args.dataset]):
        model.classes = list(CLASSES[args.dataset])
    model.meta.update({"dataset": args.dataset, "imported_from": path.name, "name": name})
    out = Path(args.out) if args.out else Path(args.models_dir) / f"{slug(name)}.npz"
    if out.exists() and not args.force:
        raise ValueError(f"{out} exists; choose another --name or --out, or pass --force")
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    print(model.summary())
    print(f"input convention: {model.meta['input']}")
    if "quantized" in model.meta:
        print(model.meta["quantized"]["note"])
    print(f"wrote {out}")
    return 0
