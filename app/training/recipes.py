"""How the installed models were trained, as Train-form settings: the recipe behind a model's card.

The engine's trainer records its ``TrainConfig`` in every model it saves
(``meta["training"]["config"]``: the CLI's and the API's models alike), so the command in a
shipped model's card (``models/*.md``) and the settings it describes are the same numbers. The
Train page offers a built-in architecture's recipe when the installed model of the same id has
one (``cifar10-bn``: sgd with Nesterov momentum, one-cycle, label smoothing, weight decay).
"""

from __future__ import annotations

from app.core.registry import LoadedModel, ModelRegistry
from app.training.schemas import TrainRequest

# the TrainRequest fields a TrainConfig records (not the name, the network or the data)
FIELDS = tuple(
    k for k in TrainRequest.model_fields if k not in ("name", "architecture", "dataset", "limit")
)


def recipe(entry: LoadedModel) -> dict | None:
    """``entry``'s ``Recipe``, or ``None`` if its card does not say how it was trained."""
    config = _dict(_dict(entry.card.get("training")).get("config"))
    if not config:
        return None
    settings = {k: config[k] for k in FIELDS if k in config}
    dataset, limit = entry.card.get("dataset"), _dict(entry.card.get("settings")).get("limit")
    if isinstance(dataset, str):
        settings["dataset"] = dataset
    settings["limit"] = limit if isinstance(limit, int) else None  # None: every image
    command, info = entry.card.get("command"), entry.info()
    return {
        "model_id": entry.id,
        "name": info["name"],
        "test_accuracy": info["test_accuracy"],
        "command": command if isinstance(command, str) else None,
        "settings": settings,
    }


def _dict(value) -> dict:  # a card is JSON a person may have edited: anything may be anything
    return value if isinstance(value, dict) else {}


def recipes(registry: ModelRegistry, architectures: list[str]) -> dict[str, dict]:
    """Per name in ``architectures``: the recipe of the installed model of that id, if any."""
    found = {}
    for name in architectures:
        try:
            entry = registry.get(name)
        except KeyError:
            continue
        if (r := recipe(entry)) is not None:
            found[name] = r
    return found
