"""Named architectures shipped with the engine, as JSON layer specs (the API's vocabulary)."""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent


def names() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.json"))


def load_spec(name_or_path: str) -> dict:
    """The spec ``{"input_shape", "layers", ...}`` of a built-in name or a JSON file's path.

    A file may also hold a bare list of layers.
    """
    path = HERE / f"{name_or_path}.json" if name_or_path in names() else Path(name_or_path)
    if not path.is_file():
        raise ValueError(
            f"architecture {name_or_path!r} is neither a built-in {names()} nor a file"
        )
    try:
        spec = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from None
    return from_json(spec, str(path))


def from_json(spec, source: str = "architecture") -> dict:
    """``{"layers": [...], ...}`` from what a file or ``POST /api/train`` holds: that object, or
    a bare list of layer specs. Both the CLI and the API read architectures through here."""
    if isinstance(spec, list):
        spec = {"layers": spec}
    if not isinstance(spec, dict) or not isinstance(spec.get("layers"), list):
        raise ValueError(f"{source}: expected a list of layers or an object with a 'layers' list")
    return spec
