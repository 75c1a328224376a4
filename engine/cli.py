"""Command line: ``python -m engine {train,evaluate,summary,download,import,export}``.

python -m engine train --data-dir ../shared/datasets/mnist --epochs 15 --out models/mnist-cnn.npz
python -m engine evaluate models/mnist-cnn.npz
python -m engine summary models/mnist-cnn.npz
python -m engine import model.onnx --name "My LeNet" --mean 0.1307 --std 0.3081
python -m engine export models/mnist-cnn.npz mnist-cnn.onnx
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from engine import architectures, cifar10, cli_export, cli_import, data, image_folder, pendigits
from engine.card import model_card
from engine.convention import model_convention, to_network
from engine.model import Model
from engine.train import SCHEDULES, TrainConfig, evaluate, to_input, train


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m engine", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    def data_args(q):
        q.add_argument(
            "--dataset",
            default="mnist",
            help=f"one of {', '.join(DATASETS)}, or an image folder (a zip or a directory of "
            "<split>/<class>/<image> or <class>/<image>)",
        )
        q.add_argument(
            "--data-dir",
            default=str(data.DEFAULT_DATA_DIR),
            help="directory holding the IDX files (raw or .gz), CIFAR-10's binary release or "
            "cifar10-jpeg.zip, or DIR/<dataset>/ (default: data)",
        )
        q.add_argument(
            "--download",
            action="store_true",
            help="download missing files from the public mirrors (SHA-256 verified) first",
        )

    t = sub.add_parser("train", help="train a model and save it as .npz")
    data_args(t)
    t.add_argument(
        "--arch",
        default="mnist-cnn",
        help=f"built-in architecture {architectures.names()} or a JSON file of layer specs",
    )
    t.add_argument("--epochs", type=int, default=15, help="passes over the training set")
    t.add_argument("--batch-size", type=int, default=128, help="images per gradient step")
    t.add_argument("--optimiser", choices=["adam", "sgd"], default="adam", help="update rule")
    t.add_argument("--lr", type=float, default=2e-3, help="peak learning rate")
    t.add_argument(
        "--lr-schedule", choices=SCHEDULES, default="cosine", help="rise and decay of the lr"
    )
    t.add_argument(
        "--warmup", type=float, default=0.2, help="onecycle: fraction of steps rising to --lr"
    )
    t.add_argument("--weight-decay", type=float, default=0.0, help="L2 penalty on the weights")
    t.add_argument("--nesterov", action="store_true", help="sgd: Nesterov momentum")
    t.add_argument(
        "--label-smoothing", type=float, default=0.0, help="cross-entropy target smoothing"
    )
    t.add_argument(
        "--no-augment",
        dest="augment",
        action="store_false",
        help="turn off shift/scale/rotation/slant/thickness augmentation (digits)",
    )
    t.add_argument("--flip", action="store_true", help="random horizontal flips (photos)")
    t.add_argument(
        "--crop", type=int, default=0, help="random crops after padding by N pixels (photos)"
    )
    t.add_argument(
        "--seed", type=int, default=0, help="seeds initialisation, shuffling, augmentation"
    )
    t.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    t.add_argument(
        "--pendigits",
        default=None,
        help="a UNIPEN pen-digits file: its strokes, drawn with the pad's brush and preprocessed "
        "as the server does (engine/pendigits.py), are added to the training images",
    )
    t.add_argument(
        "--pendigits-writers", default="1-22", help="which of its writers to train on, e.g. 1-22"
    )
    t.add_argument(
        "--pendigits-copies",
        type=int,
        default=4,
        help="renderings of each pen digit (random size, place, rotation, slant)",
    )
    t.add_argument(
        "--init",
        default=None,
        help="start from this saved model's weights (same architecture) instead of random ones",
    )
    t.add_argument("--out", default="models/model.npz", help="where to write the trained model")
    t.add_argument("--name", default=None, help="display name stored in the model")
    t.add_argument(
        "--checkpoint",
        default=None,
        help="file rewritten atomically after every epoch (default: OUT with .ckpt.npz)",
    )

    e = sub.add_parser("evaluate", help="accuracy of a saved model on a test set")
    e.add_argument("model", help="path to a .npz model")
    data_args(e)
    e.add_argument("--split", choices=data.SPLITS, default="test", help="which split")

    s = sub.add_parser("summary", help="print a model's layers, shapes and parameter counts")
    s.add_argument("model", help="a .npz model, a built-in architecture name or a JSON spec file")
    s.add_argument(
        "--markdown", action="store_true", help="print a Markdown model card (for models/README.md)"
    )

    d = sub.add_parser("download", help="download a data set (SHA-256 verified)")
    data_args(d)
    cli_import.add_parser(sub)
    cli_export.add_parser(sub)
    return p


DATASETS = (*data.NAMES, cifar10.NAME)


def _load_split(args, split: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``split`` of ``--dataset`` as float32 ``(N, C, H, W)`` in [0, 1], int64 labels, classes."""
    if args.dataset in data.NAMES:
        if args.download:
            data.download(args.dataset, args.data_dir)
        images, labels = data.load_dataset(args.dataset, split, args.data_dir)
        return to_input(images), labels.astype(np.int64), data.CLASSES[args.dataset]
    if args.dataset == cifar10.NAME:
        if args.download:
            cifar10.download(args.data_dir)
        images, labels = cifar10.load(split, args.data_dir)
        return cifar10.to_input(images), labels, list(cifar10.CLASSES)
    if not Path(args.dataset).exists():
        raise ValueError(f"--dataset must be one of {', '.join(DATASETS)} or an image folder")
    folder = image_folder.read_folder(args.dataset)
    return (*folder.images(split), folder.classes)


def _cmd_train(args) -> int:
    spec = architectures.load_spec(args.arch)
    # every TrainConfig field has its flag of the same name
    config = TrainConfig(**{f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)})
    x, y, classes = _load_split(args, "train")
    args.download = False
    val = _load_split(args, "test")[:2]
    if args.limit:
        x, y = x[: args.limit], y[: args.limit]
    if args.pendigits:
        digits = pendigits.load(args.pendigits)
        writers = pendigits.writers_from(args.pendigits_writers)
        pen_images, pen_labels = pendigits.rendered_set(
            [d for d in digits if d.writer in writers], args.pendigits_copies, seed=args.seed
        )
        print(f"{len(pen_images)} pen digit images by writers {args.pendigits_writers}", flush=True)
        x = np.concatenate([x, to_input(pen_images)])  # (N + M, 1, 28, 28) float32
        y = np.concatenate([y, pen_labels.astype(np.int64)])
    model = Model.from_spec(
        spec["layers"],
        input_shape=tuple(spec.get("input_shape", x.shape[1:])),
        seed=args.seed,
        classes=classes,
        name=args.name or Path(args.out).stem,
    )
    if args.init:
        model.set_state(Model.load(args.init).state(), source=args.init)
    print(model.summary(), flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    checkpoint = args.checkpoint or out.with_suffix(".ckpt.npz")
    bar = tqdm(total=config.epochs * -(-len(x) // config.batch_size), unit="step", ncols=100)

    def on_progress(event):
        if event["event"] == "step":
            bar.n = (event["epoch"] - 1) * event["steps"] + event["step"]
            bar.set_description(f"epoch {event['epoch']}/{event['epochs']}")
            bar.set_postfix(loss=f"{event['loss']:.4f}", acc=f"{event['accuracy']:.4f}")
        else:
            bar.write(
                f"epoch {event['epoch']}: train loss {event['train_loss']:.4f} "
                f"acc {event['train_accuracy']:.4f} | test loss {event['val_loss']:.4f} "
                f"acc {event['val_accuracy']:.4f} | {event['seconds']:.0f} s"
            )

    history = train(model, x, y, config, val=val, on_progress=on_progress, checkpoint=checkpoint)
    bar.close()
    result = evaluate(model, *val)
    model.meta.update(
        {
            "dataset": args.dataset,
            "test_accuracy": result["accuracy"],
            "test_loss": result["loss"],
            "train_images": len(x),
            "train_seconds": round(history.seconds, 1),
            "command": "python -m engine " + shlex.join(args.argv),
            "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
    )
    model.save(out)
    Path(checkpoint).unlink(missing_ok=True)
    print(
        f"saved {out}: test accuracy {result['accuracy']:.4%} on {len(val[0])} images, "
        f"trained in {history.seconds:.0f} s"
    )
    return 0


def _cmd_evaluate(args) -> int:
    model = Model.load(args.model)
    x, labels, _ = _load_split(args, args.split)
    x = to_network(x, model_convention(model))  # the model's input convention
    result = evaluate(model, x, labels)
    wrong = int((result["predictions"] != labels).sum())
    print(
        f"{args.model}: {args.dataset} {args.split}: accuracy {result['accuracy']:.4%} "
        f"({len(labels) - wrong}/{len(labels)}), loss {result['loss']:.4f}"
    )
    return 0


def _cmd_summary(args) -> int:
    if args.model.endswith(".npz"):
        model = Model.load(args.model)
    else:
        spec = architectures.load_spec(args.model)
        model = Model.from_spec(spec["layers"], tuple(spec.get("input_shape", (1, 28, 28))))
    if args.markdown:
        print(model_card(model))
        return 0
    print(model.summary())
    if model.meta:
        keys = ("dataset", "test_accuracy", "train_seconds", "command")
        print(json.dumps({k: model.meta[k] for k in keys if k in model.meta}, indent=2))
    return 0


def _cmd_download(args) -> int:
    if args.dataset == cifar10.NAME:
        print(cifar10.download(args.data_dir))
        return 0
    for path in data.download(args.dataset, args.data_dir):
        print(path)
    return 0


COMMANDS = {
    "train": _cmd_train,
    "evaluate": _cmd_evaluate,
    "summary": _cmd_summary,
    "download": _cmd_download,
    "import": lambda args: cli_import.run(args),
    "export": cli_export.run,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    args.argv = argv
    try:
        return COMMANDS[args.command](args)
    except (ValueError, FileNotFoundError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
