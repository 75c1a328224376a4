"""CIFAR-10: the official binary release, or the same images as an image-folder zip.

Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009: 60,000 32×32 RGB
images, 10 classes, 50,000 train / 10,000 test. :func:`load` looks, in order, for

1. the official binary release ``cifar-10-binary.tar.gz`` (what :func:`download` fetches, SHA-256
   checked) or its unpacked ``cifar-10-batches-bin/`` — records of 1 label byte and 3,072 pixel
   bytes (the R, G, B planes, row-major);
2. an image-folder zip ``cifar10-jpeg.zip`` (``train/<class>/*.jpg``, ``test/<class>/*.jpg``; a
   JPEG re-encoding, a few grey levels off the original pixels), read by :mod:`engine.image_folder`;

in ``data_dir`` and ``data_dir/cifar10``, and decodes it once into a cache (``cache_dir``,
default ``data/cache``) of uint8 arrays. For the test split only, when neither is there, the
150-photo sample that ships in the repository (``static/samples/cifar10``) serves the gallery
and a rough evaluation; :func:`source` says which one a figure came from.
"""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import numpy as np

from engine import image_folder
from engine.data import DEFAULT_DATA_DIR, DatasetNotFound, DownloadError, _describe, fetch
from engine.io import atomic_write_bytes

NAME = "cifar10"
CLASSES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]
SHAPE = (3, 32, 32)
URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
ARCHIVE = "cifar-10-binary.tar.gz"
# The SHA-256 published for this file in TensorFlow Datasets' checksums (the site publishes the
# MD5 c32a1d4ab5d03f1284b67883e8d87530 only).
SHA256 = "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"
SIZE = 170_052_171
BATCHES = {"train": [f"data_batch_{i}.bin" for i in range(1, 6)], "test": ["test_batch.bin"]}
RECORD = 1 + 3 * 32 * 32  # label byte + R, G, B planes
BATCH_BYTES = 10_000 * RECORD
ZIP = "cifar10-jpeg.zip"
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "static" / "samples" / "cifar10"


def parse_batch(data: bytes, source: str) -> tuple[np.ndarray, np.ndarray]:
    """One binary batch → images uint8 ``(N, 3, 32, 32)`` and labels int64 ``(N,)``."""
    if len(data) % RECORD:
        raise ValueError(
            f"{source}: {len(data):,} bytes is not a whole number of {RECORD}-byte records"
        )
    records = np.frombuffer(data, np.uint8).reshape(-1, RECORD)  # (N, 3073)
    labels = records[:, 0].astype(np.int64)
    if labels.size and labels.max() >= len(CLASSES):
        raise ValueError(f"{source}: label {int(labels.max())} out of range 0..9")
    return records[:, 1:].reshape(-1, *SHAPE).copy(), labels  # (N, 3072) -> (N, 3, 32, 32)


def read_binary(path: Path) -> image_folder.ImageFolder:
    """Both splits from the release's ``.tar.gz`` or its unpacked folder (read in memory)."""

    def batches(read):
        return {s: [parse_batch(read(n), n) for n in names] for s, names in BATCHES.items()}

    if path.is_dir():
        parts = batches(lambda n: (path / n).read_bytes())
    else:
        with tarfile.open(path, "r:gz") as tar:
            members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}

            def read(name: str) -> bytes:
                m = members.get(name)
                if m is None or m.size != BATCH_BYTES:
                    raise ValueError(f"{path}: {name} missing or not {BATCH_BYTES:,} bytes")
                return tar.extractfile(m).read()

            parts = batches(read)
    (xtr, ytr), (xte, yte) = (
        (np.concatenate([p[0] for p in parts[s]]), np.concatenate([p[1] for p in parts[s]]))
        for s in ("train", "test")
    )
    return image_folder.ImageFolder(list(CLASSES), xtr, ytr, xte, yte, split_made=False)


def _dirs(data_dir) -> list[Path]:
    base = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    return [base, base / NAME]


def find_source(data_dir=None) -> Path | None:
    """The first CIFAR-10 source on disk (binary release preferred), or ``None``."""
    for d in _dirs(data_dir):
        for name in (ARCHIVE, "cifar-10-batches-bin", ZIP):
            if (d / name).exists():
                return d / name
    return None


def source(data_dir=None) -> str:
    """Which images :func:`load` serves: ``"binary"``, ``"jpeg"``, ``"sample"`` or ``"none"``."""
    found = find_source(data_dir)
    if found is not None:
        return "jpeg" if found.suffix == ".zip" else "binary"
    return "sample" if SAMPLE_DIR.is_dir() else "none"


def how_to_get(data_dir=None) -> str:
    d = _dirs(data_dir)[0]
    return (
        f"CIFAR-10 is not in {d} or {d / NAME}. To get it:\n"
        f"  - download it: `python -m engine download --dataset cifar10 --data-dir {d}`\n"
        f"  - or put {ARCHIVE} (the official binary release) or {ZIP} "
        f"(train/<class>/*.jpg, test/<class>/*.jpg) in {d}"
    )


def load_folder(data_dir=None, cache_dir=None) -> image_folder.ImageFolder:
    """Both splits, decoded once into ``cache_dir`` (uint8, atomic) and read from there after."""
    found = find_source(data_dir)
    if found is None:
        raise DatasetNotFound(how_to_get(data_dir))
    kind = "jpeg" if found.suffix == ".zip" else "binary"
    cache = Path(cache_dir) if cache_dir is not None else DEFAULT_DATA_DIR / "cache"
    stamp = found.stat()
    path = cache / f"cifar10-{kind}-{stamp.st_size}-{int(stamp.st_mtime)}.npz"
    if path.is_file():
        return image_folder.load(path)
    if kind == "binary":
        folder = read_binary(found)
    else:
        folder = image_folder.read_folder(found)
        if folder.classes != CLASSES or folder.image_shape != SHAPE:
            raise ValueError(
                f"{found}: not CIFAR-10 (classes {folder.classes}, {folder.image_shape})"
            )
    cache.mkdir(parents=True, exist_ok=True)
    image_folder.save(folder, path)
    return folder


def load_sample(folder: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The repository's sample of test photos (``<class>_<index>.jpg``; another ``folder`` of
    that layout, e.g. a runtime copy): uint8, int64 labels."""
    files = sorted((SAMPLE_DIR if folder is None else Path(folder)).glob("*.jpg"))
    if not files:
        raise DatasetNotFound(how_to_get())
    limits = image_folder.Limits()
    x = np.stack([image_folder.decode_image(f.read_bytes(), f.name, limits, None) for f in files])
    y = np.array([CLASSES.index(f.stem.rsplit("_", 1)[0]) for f in files], dtype=np.int64)
    return x, y


def load(split: str = "train", data_dir=None, cache_dir=None) -> tuple[np.ndarray, np.ndarray]:
    """``split`` as uint8 ``(N, 3, 32, 32)`` and int64 ``(N,)``; the test split falls back to
    the shipped sample when no full copy is on disk. Raises :class:`DatasetNotFound`."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be train or test, got {split!r}")
    if find_source(data_dir) is None and split == "test" and SAMPLE_DIR.is_dir():
        return load_sample()
    folder = load_folder(data_dir, cache_dir)
    return (folder.x_train, folder.y_train) if split == "train" else (folder.x_test, folder.y_test)


def download(data_dir=None, timeout: float = 10.0, url: str = URL, force: bool = False) -> Path:
    """Fetch the binary release into ``data_dir/cifar10/`` and check its SHA-256.

    ``timeout`` bounds the connection and each read. Raises :class:`DownloadError` saying what
    failed and how to put the file there by hand.
    """
    target = _dirs(data_dir)[1] / ARCHIVE
    if target.is_file() and not force:
        return target
    try:
        data = fetch(url, timeout)
    except OSError as e:  # URLError, timeouts and refused connections are OSErrors
        raise DownloadError(
            f"could not download {url} (timeout {timeout:g} s): {_describe(e)}\n"
            f"If this machine is offline, copy {ARCHIVE} or {ZIP} into {target.parent} by hand."
        ) from None
    got = hashlib.sha256(data).hexdigest()
    if got != SHA256:
        raise DownloadError(
            f"{url}: SHA-256 {got} ({len(data):,} bytes), expected {SHA256} ({SIZE:,} bytes)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(target, data)
    return target


def to_input(images: np.ndarray) -> np.ndarray:
    """uint8 ``(N, 3, H, W)`` → float32 network input in [0, 1]."""
    return images.astype(np.float32) / np.float32(255.0)
