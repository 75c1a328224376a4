"""Datasets: the IDX reader, MNIST / Fashion-MNIST loading, and a verified download.

IDX (the format MNIST is distributed in) is a 4-byte magic number ``0x00 0x00 <dtype> <ndim>``,
``ndim`` big-endian uint32 dimensions, then the payload in C order, big-endian. Files may be raw
or gzipped; both datasets use the same four file names.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from engine.io import atomic_write_bytes

NAMES = ("mnist", "fashion-mnist")
SPLITS = ("train", "test")

CLASSES = {
    "mnist": [str(d) for d in range(10)],
    "fashion-mnist": [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ],
}

# split -> (images file, labels file), without the optional ".gz"
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

MIRRORS = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}

# file -> (SHA-256 of the mirrors' .gz, SHA-256 of the uncompressed IDX), as published for the
# mirrors' files. A download is accepted when its .gz matches, or, if a mirror re-gzipped the
# file, when the decompressed IDX does.
CHECKSUMS = {
    "mnist": {
        "train-images-idx3-ubyte": (
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        ),
        "train-labels-idx1-ubyte": (
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        ),
        "t10k-images-idx3-ubyte": (
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        ),
        "t10k-labels-idx1-ubyte": (
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        ),
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": (
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        ),
        "train-labels-idx1-ubyte": (
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        ),
        "t10k-images-idx3-ubyte": (
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        ),
        "t10k-labels-idx1-ubyte": (
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        ),
    },
}

DEFAULT_DATA_DIR = Path("data")
# Debian's dataset-fashion-mnist package installs the four .gz files here.
SYSTEM_DIRS = {"mnist": (), "fashion-mnist": (Path("/usr/share/datasets/fashion-mnist"),)}

# IDX dtype code -> big-endian numpy dtype
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


class DatasetNotFound(FileNotFoundError):
    """A dataset's files are not on disk; the message says how to get them."""


class DownloadError(OSError):
    """A download failed: every mirror was unreachable or served bytes with the wrong checksum."""


# --------------------------------------------------------------------------------------- reading


def parse_idx(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """Decode an uncompressed IDX payload into an array of the dims its header gives.

    Returns a writable native-byte-order array (``uint8`` for MNIST). Raises ``ValueError``
    naming ``source`` and what is wrong: bad magic, unknown dtype code, missing dims, or a
    payload whose size does not match the header.
    """
    if len(data) < 4:
        raise ValueError(f"{source}: {len(data)} bytes is too short for an IDX header")
    zero, code, ndim = data[:2], data[2], data[3]
    if zero != b"\x00\x00":
        raise ValueError(
            f"{source}: bad IDX magic number 0x{data[:4].hex()} (must start with 0x0000)"
        )
    if code not in _IDX_DTYPES:
        raise ValueError(
            f"{source}: unknown IDX dtype code 0x{code:02x} "
            f"(expected one of {', '.join(f'0x{c:02x}' for c in _IDX_DTYPES)})"
        )
    if ndim == 0:
        raise ValueError(f"{source}: IDX header declares 0 dimensions")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise ValueError(
            f"{source}: truncated header: {ndim} dims need {header_size} bytes, "
            f"file has {len(data)}"
        )
    dims = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    actual = len(data) - header_size
    if actual != expected:
        what = "truncated" if actual < expected else "has trailing bytes"
        raise ValueError(
            f"{source}: payload {what}: dims {dims} of {dtype.name} need {expected} bytes "
            f"after the header, found {actual}"
        )
    flat = np.frombuffer(data, dtype, offset=header_size)
    return flat.reshape(dims).astype(dtype.newbyteorder("="))  # (dims...), native, a copy


def _decompress(data: bytes, source: str) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(f"{source}: corrupt or truncated gzip data ({e})") from e


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, raw or gzipped (detected from the content, not the name).

    Returns the array in the shape the header gives, e.g. images ``(N, 28, 28)`` uint8 and
    labels ``(N,)`` uint8. Raises ``ValueError`` naming the file when it is corrupt.
    """
    path = Path(path)
    data = path.read_bytes()
    if data[:2] == _GZIP_MAGIC:
        data = _decompress(data, str(path))
    return parse_idx(data, str(path))


# --------------------------------------------------------------------------------------- loading


def _check_name(name: str) -> None:
    if name not in NAMES:
        raise ValueError(f"dataset must be one of {', '.join(NAMES)}, got {name!r}")


def search_dirs(name: str, data_dir: str | os.PathLike | None = None) -> list[Path]:
    """The directories :func:`load_dataset` looks in, in order.

    ``data_dir`` (default ``./data``) and ``data_dir/<name>``, then the system directory a
    distribution package installs to (Fashion-MNIST only).
    """
    _check_name(name)
    base = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    return [base, base / name, *SYSTEM_DIRS[name]]


def _how_to_get(name: str, data_dir: Path) -> str:
    lines = [
        f"  - download it: `python -m engine download --dataset {name} --data-dir {data_dir}`"
        " (or add --download to train / evaluate; in Python, engine.data.download)",
        f"  - or put the four IDX files (raw or .gz) in {data_dir} or {data_dir / name}",
    ]
    if name == "fashion-mnist":
        lines.insert(1, "  - or install Debian's package: apt-get install dataset-fashion-mnist")
    return "\n".join(lines)


def find_file(name: str, filename: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Path of ``filename`` (raw preferred over ``.gz``) in the first of :func:`search_dirs`.

    Raises :class:`DatasetNotFound` listing where it looked and how to get the data.
    """
    dirs = search_dirs(name, data_dir)
    for d in dirs:
        for candidate in (d / filename, d / f"{filename}.gz"):
            if candidate.is_file():
                return candidate
    looked = ", ".join(str(d) for d in dirs)
    raise DatasetNotFound(
        f"{name}: {filename}[.gz] not found (looked in {looked}). To get it:\n"
        + _how_to_get(name, dirs[0])
    )


def load_dataset(
    name: str, split: str = "train", data_dir: str | os.PathLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Load ``name`` (``mnist`` or ``fashion-mnist``), ``split`` ``train`` or ``test``.

    Returns ``images: (N, 28, 28) uint8`` (0 = background) and ``labels: (N,) uint8`` in
    ``0..9`` (names in ``CLASSES[name]``). Raises :class:`DatasetNotFound` when the files are
    missing and ``ValueError`` when they are corrupt or do not fit together.
    """
    _check_name(name)
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    images_name, labels_name = FILES[split]
    images_path = find_file(name, images_name, data_dir)
    labels_path = find_file(name, labels_name, data_dir)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(
            f"{images_path}: expected (N, 28, 28) uint8 images, got {images.shape} {images.dtype}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(f"{labels_path}: expected (N,) uint8 labels, got {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(
            f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels"
        )
    if labels.size and labels.max() >= len(CLASSES[name]):
        raise ValueError(
            f"{labels_path}: label {int(labels.max())} out of range 0..{len(CLASSES[name]) - 1}"
        )
    return images, labels


# ------------------------------------------------------------------------------------ downloading


def fetch(url: str, timeout: float) -> bytes:
    """GET ``url`` and return the body; ``timeout`` (s) bounds the connect and each read."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def _describe(e: Exception) -> str:
    if isinstance(e, urllib.error.HTTPError):
        return f"HTTP {e.code} {e.reason}"
    if isinstance(e, urllib.error.URLError):
        return str(e.reason)
    return str(e) or type(e).__name__


def verify(name: str, filename: str, data: bytes) -> None:
    """Check downloaded ``.gz`` bytes against :data:`CHECKSUMS`; raise ``ValueError`` if wrong.

    Accepts the mirrors' published ``.gz`` SHA-256, or a re-gzipped copy whose decompressed
    IDX has the known SHA-256.
    """
    gz_sha, raw_sha = CHECKSUMS[name][filename]
    got = hashlib.sha256(data).hexdigest()
    if got == gz_sha:
        return
    try:
        raw = gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        raw = None
    if raw is not None and hashlib.sha256(raw).hexdigest() == raw_sha:
        return
    raise ValueError(
        f"checksum mismatch for {filename}.gz: SHA-256 {got}, expected {gz_sha} "
        f"(or an uncompressed SHA-256 of {raw_sha})"
    )


def download(
    name: str,
    data_dir: str | os.PathLike | None = None,
    timeout: float = 10.0,
    mirrors: tuple[str, ...] | list[str] | None = None,
    force: bool = False,
) -> list[Path]:
    """Download ``name``'s four ``.gz`` files into ``data_dir/<name>/`` and verify them.

    Each file is tried on each of ``mirrors`` (default ``MIRRORS[name]``) in turn; a mirror that
    cannot be reached within ``timeout`` seconds, or that serves bytes failing :func:`verify`,
    is skipped. Files already present (raw or ``.gz``) are kept unless ``force``. Files are
    written atomically. Returns the paths of the four files.

    Raises :class:`DownloadError` naming every mirror's failure when a file could not be had.
    """
    _check_name(name)
    target = (Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR) / name
    target.mkdir(parents=True, exist_ok=True)
    bases = tuple(mirrors) if mirrors is not None else MIRRORS[name]
    paths = []
    for filename in (f for pair in FILES.values() for f in pair):
        path = target / f"{filename}.gz"
        existing = [p for p in (target / filename, path) if p.is_file()]
        if existing and not force:
            paths.append(existing[0])
            continue
        failures = []
        for base in bases:
            url = base.rstrip("/") + f"/{filename}.gz"
            try:
                data = fetch(url, timeout)
                verify(name, filename, data)
            except (OSError, http.client.HTTPException, ValueError) as e:  # URLError is an OSError
                failures.append(f"  {url}: {_describe(e)}")
                continue
            atomic_write_bytes(path, data)
            paths.append(path)
            break
        else:
            raise DownloadError(
                f"could not download {name} file {filename}.gz "
                f"(timeout {timeout:g} s per mirror):\n"
                + "\n".join(failures)
                + f"\nIf this machine is offline, copy the four files into {target} by hand"
                + (" or apt-get install dataset-fashion-mnist." if name == "fashion-mnist" else ".")
            )
    return paths
