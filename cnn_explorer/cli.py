"""``cnn-explorer [model.onnx] [options]``: serve the explorer, and open a model in it.

With no file it serves the explorer over the per-user models folder (the shipped models are
copied there once). With an ONNX file it first imports it there — a file the importer refuses
prints the importer's message and exits with 2 — then opens the browser on it, as
``netron model.onnx`` does. Every ``CNN_EXPLORER_*`` variable still applies; the options win.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import webbrowser
from pathlib import Path

from app.core.settings import PREFIX
from cnn_explorer import local
from engine import cifar10
from engine.convention import CHANNELS
from engine.data import NAMES


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cnn-explorer",
        description="See inside a convolutional network: serve CNN Explorer, and open a model "
        "(an .onnx file) in it. Models are kept in a per-user folder "
        f"(now {local.models_dir()}; {PREFIX}MODELS_DIR moves it).",
    )
    p.add_argument("model", nargs="?", type=Path, help="an .onnx file to import and open")
    p.add_argument("--name", help="the model's display name (default: the file's stem)")
    p.add_argument("--channels", choices=CHANNELS, help="the input's channel order")
    p.add_argument("--mean", type=float, nargs="+", help="per-channel mean subtracted")
    p.add_argument("--std", type=float, nargs="+", help="per-channel std divided by")
    p.add_argument("--scale", type=float, help="multiply [0, 1] pixels by this first (e.g. 255)")
    p.add_argument("--invert", action="store_true", help="the model wants dark ink on white")
    p.add_argument("--classes", help='class labels: "cat,dog,..." or a JSON list')
    p.add_argument(
        "--dataset", choices=[*NAMES, cifar10.NAME], default="mnist",
        help="its test set and labels (cifar10: a colour model's ten classes)",
    )  # fmt: skip
    p.add_argument(
        "--external-data", action="append", default=[], type=Path, metavar="FILE",
        help="an external-data file the graph refers to (model.onnx.data is found by itself)",
    )  # fmt: skip
    p.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port to listen on (default 8000)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    return p


def classes(text: str | None) -> list[str] | None:
    if text is None:
        return None
    if text.lstrip().startswith("["):
        return [str(v) for v in json.loads(text)]
    return [c.strip() for c in text.split(",")]


def serve(env: dict[str, str]) -> None:
    """Run the server (``python -m app``) in this process with ``env`` added, until stopped."""
    os.environ.update(env)
    from app.__main__ import main as run_server  # reads the settings from the environment

    run_server()


def open_when_up(url: str) -> threading.Thread:
    """Open ``url`` in a browser as soon as the server answers (in the background)."""

    def wait_then_open() -> None:
        if local.wait_until_up(url):
            webbrowser.open(url)

    thread = threading.Thread(target=wait_then_open, name="open-browser", daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    models = local.models_dir()
    local.seed(models)
    model_id = None
    if args.model is not None:
        try:
            model_id = local.import_model(
                args.model, models, name=args.name, channels=args.channels, mean=args.mean,
                std=args.std, scale=args.scale, invert=args.invert, classes=classes(args.classes),
                dataset=args.dataset, external_data=args.external_data,
            )  # fmt: skip
        except (ValueError, OSError) as e:
            print(f"cnn-explorer: {args.model}: {e}", file=sys.stderr)
            return 2
        print(f"imported {args.model} as {model_id!r} into {models}")
    env = local.environment(models)
    host = args.host or os.environ.get(f"{PREFIX}HOST") or "127.0.0.1"
    port = args.port if args.port is not None else int(os.environ.get(f"{PREFIX}PORT") or 8000)
    env |= {f"{PREFIX}HOST": host, f"{PREFIX}PORT": str(port)}
    url = local.page_url(host, port, model_id)
    print(f"CNN Explorer: {url}  (Ctrl-C stops it)")
    if not args.no_browser:
        open_when_up(url)
    serve(env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
