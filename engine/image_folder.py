"""Image-folder data sets, from a zip or a directory, inspected before a byte is decoded.

The layout is the one image-folder data sets usually have, optionally inside one top folder::

    <split>/<class>/<image>     splits "train" and "test"
    <class>/<image>             a test split is made for you (seeded, per class; :func:`split`)

Reading happens in two passes. :func:`inspect` looks only at the listing (a zip's central
directory, a directory's ``lstat``): every path stays inside the folder (no absolute paths, no
``..``, no backslashes), no links, at most ``max_entries`` entries, every declared size and their
total under the limits, every file an image by its name, every class with an image. Only then
does :func:`decode` open the images one by one: the header's width × height is checked against
``max_image_pixels`` before any pixel is decompressed, a file that is not the image its name
says is refused, and every image becomes RGB (grey and palette images are converted). Images of
one size are kept as they are; with ``size=(H, W)`` every image is stretched to that size
(Pillow's bilinear filter); without it, mixed sizes are refused. Nothing is written to disk
except the arrays, atomically (:func:`save` / :func:`load`, ``allow_pickle=False``).

Every refusal is a :class:`BadImageFolder` (a ``ValueError``) naming the entry and the limit.
"""

from __future__ import annotations

import io
import os
import stat
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

from engine.io import atomic_path

SPLITS = ("train", "test")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
IGNORED = ("__MACOSX",)  # folders zip tools add; files whose name starts with "." are ignored too


class BadImageFolder(ValueError):
    """An archive or folder that is refused; the message names the entry and the limit."""


@dataclass(frozen=True)
class Limits:
    max_entries: int = 100_000  # files and folders in the listing
    max_classes: int = 1_000
    max_file_bytes: int = 4 * 1024 * 1024  # one image, as declared
    max_total_bytes: int = 1024 * 1024 * 1024  # every image together, as declared
    max_image_pixels: int = 1024 * 1024  # width × height an image header may declare
    max_values: int = 250_000_000  # N × 3 × H × W of the decoded arrays


@dataclass(frozen=True)
class Entry:
    """One name in the listing: ``name`` is '/'-separated and relative to the folder."""

    name: str
    size: int  # declared uncompressed bytes
    kind: str  # "file", "dir" or "link"


@dataclass
class ImageFolder:
    """A decoded data set: ``x_*`` uint8 ``(N, 3, H, W)``, ``y_*`` int64 ``(N,)`` in classes."""

    classes: list[str]
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    split_made: bool  # True when the test split was drawn from a <class>/<image> folder

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(int(d) for d in self.x_train.shape[1:])

    def counts(self) -> dict[str, int]:
        return {"train": len(self.y_train), "test": len(self.y_test)}

    def images(self, which: str) -> tuple[np.ndarray, np.ndarray]:
        """Split ``which`` as the network input: float32 ``(N, 3, H, W)`` in [0, 1], labels."""
        x, y = (self.x_train, self.y_train) if which == "train" else (self.x_test, self.y_test)
        return x.astype(np.float32) / np.float32(255.0), y


# ------------------------------------------------------------------------------------ listings


def zip_entries(zf: zipfile.ZipFile) -> list[Entry]:
    """The central directory as entries (nothing is decompressed)."""
    out = []
    for info in zf.infolist():
        mode = info.external_attr >> 16  # Unix mode bits, when the zip was made on Unix
        kind = "link" if stat.S_ISLNK(mode) else "dir" if info.is_dir() else "file"
        out.append(
            Entry(
                info.filename.rstrip("/") if kind == "dir" else info.filename, info.file_size, kind
            )
        )
    return out


def dir_entries(root: Path, limits: Limits) -> list[Entry]:
    """Every file, folder and link below ``root``, without following links."""
    out: list[Entry] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            kind = (
                "link"
                if stat.S_ISLNK(st.st_mode)
                else "dir"
                if stat.S_ISDIR(st.st_mode)
                else "file"
            )
            out.append(Entry(path.relative_to(root).as_posix(), st.st_size, kind))
            if len(out) > limits.max_entries:
                raise BadImageFolder(f"more than {limits.max_entries:,} entries (max_entries)")
    return out


# ---------------------------------------------------------------------------------- inspection


@dataclass(frozen=True)
class Plan:
    """What :func:`inspect` found: ``files[i] = (entry name, split or None, class)``."""

    classes: list[str]
    files: list[tuple[str, str | None, str]]
    has_splits: bool


def _check_path(e: Entry) -> None:
    name = e.name
    if not name or "\\" in name or "\x00" in name:
        raise BadImageFolder(f"entry {name!r}: backslashes and NUL are not allowed in paths")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise BadImageFolder(f"entry {name!r}: absolute paths are not allowed")
    if ".." in PurePosixPath(name).parts:
        raise BadImageFolder(f"entry {name!r}: '..' would climb out of the folder")
    if e.kind == "link":
        raise BadImageFolder(f"entry {name!r}: links are not allowed")


def _ignored(parts: tuple[str, ...]) -> bool:
    return parts[0] in IGNORED or parts[-1].startswith(".")


def inspect(entries: list[Entry], limits: Limits = Limits()) -> Plan:
    """Check a listing against ``limits`` and find its layout; raises :class:`BadImageFolder`."""
    if len(entries) > limits.max_entries:
        raise BadImageFolder(
            f"{len(entries):,} entries, more than the limit max_entries = {limits.max_entries:,}"
        )
    total, seen, files, folders = 0, set(), [], set()
    for e in entries:
        _check_path(e)
        if e.name in seen:
            raise BadImageFolder(f"entry {e.name!r} appears twice")
        seen.add(e.name)
        parts = PurePosixPath(e.name).parts
        if _ignored(parts):
            continue
        if e.kind == "dir":
            folders.add(parts)
            continue
        if e.size > limits.max_file_bytes:
            raise BadImageFolder(
                f"entry {e.name!r} declares {e.size:,} bytes, more than the limit "
                f"max_file_bytes = {limits.max_file_bytes:,}"
            )
        total += e.size
        if total > limits.max_total_bytes:
            raise BadImageFolder(
                f"the images declare more than {limits.max_total_bytes:,} bytes together "
                f"(max_total_bytes), passed at entry {e.name!r}"
            )
        if not parts[-1].lower().endswith(IMAGE_SUFFIXES):
            raise BadImageFolder(
                f"entry {e.name!r} is not an image (expected {', '.join(IMAGE_SUFFIXES)})"
            )
        files.append(parts)
    return _layout(files, folders, limits)


def _layout(files: list[tuple[str, ...]], folders: set, limits: Limits) -> Plan:
    if not files:
        raise BadImageFolder(
            "no images found (expected <class>/<image> or <split>/<class>/<image>)"
        )
    root: tuple[str, ...] = ()
    tops = {p[0] for p in files}
    if len(tops) == 1 and tops.pop() not in SPLITS and min(len(p) for p in files) >= 3:
        root = files[0][:1]  # everything inside one top folder: look inside it
    rel = [p[len(root) :] for p in files]
    has_splits = all(len(p) == 3 for p in rel) and {p[0] for p in rel} <= set(SPLITS)
    for p, r in zip(files, rel, strict=True):
        if len(r) != (3 if has_splits else 2):
            raise BadImageFolder(
                f"entry {'/'.join(p)!r} is not at <class>/<image> or <split>/<class>/<image>"
            )
    # folders that name a class (no images in them) count too: a class with no images is refused
    depth = len(root) + (2 if has_splits else 1)
    named = {
        f[-1]
        for f in folders
        if len(f) == depth and f[: len(root)] == root and (not has_splits or f[-2] in SPLITS)
    }
    classes = sorted({r[-2] for r in rel} | named)
    if len(classes) < 2:
        raise BadImageFolder(f"found {len(classes)} class ({classes}); at least 2 are needed")
    if len(classes) > limits.max_classes:
        raise BadImageFolder(
            f"{len(classes):,} classes, more than max_classes = {limits.max_classes:,}"
        )
    in_train = {r[-2] for r in rel if not has_splits or r[0] == "train"}
    for c in classes:
        if c not in in_train:
            where = "train/" if has_splits else ""
            raise BadImageFolder(f"class {c!r} has no images in {where}{c}/ (each class needs one)")
    plan = [
        ("/".join(p), r[0] if has_splits else None, r[-2]) for p, r in zip(files, rel, strict=True)
    ]
    return Plan(classes, sorted(plan), has_splits)


# ------------------------------------------------------------------------------------ decoding


def decode_image(
    data: bytes, name: str, limits: Limits, size: tuple[int, int] | None
) -> np.ndarray:
    """One image's bytes → uint8 ``(3, H, W)`` RGB; the header's pixel count is checked first."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))  # reads the header only
            w, h = img.size
            if w * h > limits.max_image_pixels:
                raise BadImageFolder(
                    f"entry {name!r} declares {w}×{h} = {w * h:,} pixels, more than the limit "
                    f"max_image_pixels = {limits.max_image_pixels:,}"
                )
            img = img.convert("RGB")  # decodes; grey, palette and alpha become RGB
            if size is not None and img.size != (size[1], size[0]):
                img = img.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            pixels = np.asarray(img, dtype=np.uint8)  # (H, W, 3)
    except BadImageFolder:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning) as e:
        raise BadImageFolder(f"entry {name!r} is not a readable image ({e})") from None
    return pixels.transpose(2, 0, 1)  # (H, W, 3) -> (3, H, W)


def decode(
    plan: Plan,
    read: Callable[[str], bytes],
    limits: Limits = Limits(),
    size: tuple[int, int] | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> ImageFolder:
    """Decode every image of ``plan`` (``read(name)`` gives an entry's bytes) into arrays.

    Without ``size`` every image must have the first one's size; with it, each is stretched to
    ``size = (H, W)``. A ``<class>/<image>`` plan gets a test split from :func:`split`.
    """
    images, labels, splits, shape = [], [], [], None
    index = {c: i for i, c in enumerate(plan.classes)}
    for name, which, cls in plan.files:
        x = decode_image(read(name), name, limits, size)  # (3, H, W)
        if shape is None:
            shape = x.shape
            if len(plan.files) * x.size > limits.max_values:
                raise BadImageFolder(
                    f"{len(plan.files):,} images of {x.shape[2]}×{x.shape[1]} decode to more than "
                    f"max_values = {limits.max_values:,} numbers"
                )
        elif x.shape != shape:
            raise BadImageFolder(
                f"entry {name!r} is {x.shape[2]}×{x.shape[1]}, the first image is "
                f"{shape[2]}×{shape[1]}: mixed sizes need a target size (size=(H, W) stretches "
                "every image to it)"
            )
        images.append(x)
        labels.append(index[cls])
        splits.append(which)
    x, y = np.stack(images), np.asarray(labels, dtype=np.int64)  # (N, 3, H, W), (N,)
    if plan.has_splits:
        test = np.array([s == "test" for s in splits])
    else:
        test = split(y, test_fraction, seed)
    return ImageFolder(plan.classes, x[~test], y[~test], x[test], y[test], not plan.has_splits)


def split(y: np.ndarray, test_fraction: float, seed: int) -> np.ndarray:
    """A seeded test split, class by class: ``round(n · test_fraction)`` of each class's ``n``
    images (none when ``n < 2``, so every class keeps a training image). Returns a bool mask."""
    if not 0 <= test_fraction < 1:
        raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction!r}")
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        k = int(round(len(members) * test_fraction)) if len(members) >= 2 else 0
        test[rng.permutation(members)[: min(k, len(members) - 1)]] = True
    return test


def read_folder(source: str | os.PathLike, limits: Limits = Limits(), **options) -> ImageFolder:
    """Inspect then decode a zip file or a directory (``options``: size, test_fraction, seed)."""
    source = Path(source)
    if source.is_dir():
        plan = inspect(dir_entries(source, limits), limits)
        return decode(plan, lambda name: (source / name).read_bytes(), limits, **options)
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as e:
        raise BadImageFolder(f"{source.name}: not a readable zip file ({e})") from None
    with zf:
        plan = inspect(zip_entries(zf), limits)

        def read(name: str) -> bytes:
            try:
                return zf.read(name)  # stops at the declared size; the CRC is checked
            except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as e:
                raise BadImageFolder(f"entry {name!r} cannot be read ({e})") from None

        return decode(plan, read, limits, **options)


# ------------------------------------------------------------------------------------- caching


def save(folder: ImageFolder, path: str | os.PathLike) -> None:
    """Write the arrays to ``path`` (.npz, uint8 pixels: exact and 4× smaller), atomically."""
    with atomic_path(path) as tmp:
        np.savez(
            tmp,
            classes=np.array(folder.classes, dtype=np.str_),
            x_train=folder.x_train,
            y_train=folder.y_train,
            x_test=folder.x_test,
            y_test=folder.y_test,
            split_made=np.array(folder.split_made),
        )


def load(path: str | os.PathLike) -> ImageFolder:
    """Read what :func:`save` wrote (``allow_pickle=False``)."""
    with np.load(path, allow_pickle=False) as z:
        return ImageFolder(
            [str(c) for c in z["classes"]],
            z["x_train"],
            z["y_train"],
            z["x_test"],
            z["y_test"],
            bool(z["split_made"]),
        )
