"""A model card in Markdown, written from what a saved model knows about itself."""

from __future__ import annotations

from engine.model import Model


def _shape(dims) -> str:
    return "(" + ", ".join(str(d) for d in dims) + ")"


def model_card(model: Model) -> str:
    """Architecture table, parameter count, data, accuracy, the training command and history."""
    meta = model.meta
    graph = not model.is_chain  # then say what each layer reads
    names = ["input", *(layer.name for layer in model.layers)]
    lines = [
        "| # | layer | type | output shape | params |" + (" inputs |" if graph else ""),
        "|---:|---|---|---|---:|" + ("---|" if graph else ""),
    ]
    for info in model.layer_info():
        reads = ", ".join(names[j + 1] for j in info["inputs"])
        lines.append(
            f"| {info['index']} | {info['name']} | {info['type']} | "
            f"{_shape(info['output_shape'])} | {info['num_params']:,} |"
            + (f" {reads} |" if graph else "")
        )
    lines += [
        "",
        f"Input {_shape(model.input_shape)}; total parameters: **{model.num_params:,}**.",
        "",
    ]
    facts = [
        ("data set", meta.get("dataset")),
        ("training images", f"{meta['train_images']:,}" if "train_images" in meta else None),
        ("test accuracy", f"{meta['test_accuracy']:.2%}" if "test_accuracy" in meta else None),
        ("test loss", f"{meta['test_loss']:.4f}" if "test_loss" in meta else None),
        ("training time", f"{meta['train_seconds']:,.0f} s" if "train_seconds" in meta else None),
        ("trained at", meta.get("trained_at")),
        ("command", f"`{meta['command']}`" if "command" in meta else None),
        ("quantization", meta.get("quantized", {}).get("note")),
    ]
    training = meta.get("training", {})
    config = training.get("config", {})
    if config:
        settings = ", ".join(f"{k}={v}" for k, v in config.items())
        facts.append(("settings", settings))
    lines += ["| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in facts if v is not None]
    history = training.get("history", [])
    if history:
        lines += [
            "",
            "| epoch | train loss | train accuracy | test loss | test accuracy | elapsed |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        nan = float("nan")
        for e in history:
            val_loss, val_acc = e.get("val_loss", nan), e.get("val_accuracy", nan)
            lines.append(
                f"| {e['epoch']} | {e['train_loss']:.4f} | {e['train_accuracy']:.2%} | "
                f"{val_loss:.4f} | {val_acc:.2%} | {e['seconds']:.0f} s |"
            )
    return "\n".join(lines)
