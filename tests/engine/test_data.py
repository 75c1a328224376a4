"""IDX reading, dataset loading and the verified download, all offline (127.0.0.1 only)."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import shutil
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from engine import data
from engine.data import (
    CHECKSUMS,
    CLASSES,
    DatasetNotFound,
    DownloadError,
    download,
    load_dataset,
    parse_idx,
    read_idx,
    verify,
)
from tests.live import free_port

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "data" / "mnist"


def idx_bytes(a: np.ndarray) -> bytes:
    """Encode ``a`` as IDX: magic ``0 0 <code> <ndim>``, big-endian dims, big-endian payload."""
    code = {"u1": 0x08, "i1": 0x09, "i2": 0x0B, "i4": 0x0C, "f4": 0x0D, "f8": 0x0E}[a.dtype.str[1:]]
    dims = np.array(a.shape, dtype=">u4").tobytes()
    return bytes([0, 0, code, a.ndim]) + dims + a.astype(a.dtype.newbyteorder(">")).tobytes()


def write_split(folder: Path, split: str, images: np.ndarray, labels: np.ndarray, gz: bool):
    folder.mkdir(parents=True, exist_ok=True)
    for filename, a in zip(data.FILES[split], (images, labels), strict=True):
        payload = idx_bytes(a)
        if gz:
            (folder / f"{filename}.gz").write_bytes(gzip.compress(payload))
        else:
            (folder / filename).write_bytes(payload)


# ------------------------------------------------------------------------------ the shipped set


def test_shipped_mnist_test_set():
    images = read_idx(SHIPPED / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(SHIPPED / "t10k-labels-idx1-ubyte.gz")
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10_000,) and labels.dtype == np.uint8
    assert labels[0] == 7
    assert set(np.unique(labels)) == set(range(10))
    assert images.max() == 255 and images.min() == 0


def test_shipped_files_are_the_original_mnist():
    for filename in data.FILES["test"]:
        raw = gzip.decompress((SHIPPED / f"{filename}.gz").read_bytes())
        assert hashlib.sha256(raw).hexdigest() == CHECKSUMS["mnist"][filename][1]


def test_load_dataset_finds_name_subdirectory():
    images, labels = load_dataset("mnist", "test", REPO / "data")  # files are in data/mnist/
    assert images.shape == (10_000, 28, 28) and labels.shape == (10_000,)
    assert labels[0] == 7
    assert images.flags.writeable


def test_classes():
    assert CLASSES["mnist"] == [str(d) for d in range(10)]
    assert len(CLASSES["fashion-mnist"]) == 10
    assert CLASSES["fashion-mnist"][0] == "T-shirt/top"
    assert CLASSES["fashion-mnist"][9] == "Ankle boot"


# ------------------------------------------------------------------------------------ IDX reader


def test_raw_and_gz_read_the_same(tmp_path):
    raw = tmp_path / "t10k-labels-idx1-ubyte"
    raw.write_bytes(gzip.decompress((SHIPPED / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    np.testing.assert_array_equal(read_idx(raw), read_idx(SHIPPED / "t10k-labels-idx1-ubyte.gz"))


@pytest.mark.parametrize("dtype", ["u1", "i1", "i2", "i4", "f4", "f8"])
def test_idx_dtypes_round_trip(dtype):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    got = parse_idx(idx_bytes(a))
    assert got.dtype == np.dtype(dtype).newbyteorder("=")
    np.testing.assert_array_equal(got, a)


def test_gzip_detected_by_content_not_name(tmp_path):
    a = np.arange(10, dtype=np.uint8)
    path = tmp_path / "no-suffix"
    path.write_bytes(gzip.compress(idx_bytes(a)))
    np.testing.assert_array_equal(read_idx(path), a)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda b: b[:-1], "truncated"),
        (lambda b: b[:10], "truncated"),  # inside the header
        (lambda b: b + b"\x00", "trailing"),
        (lambda b: b"\x08\x03" + b[2:], "magic"),
        (lambda b: b[:2] + b"\x07" + b[3:], "dtype code 0x07"),
        (lambda b: b[:3] + b"\x00" + b[4:], "0 dimensions"),
        (lambda b: b[:2], "too short"),
    ],
)
def test_corrupt_idx_raises_naming_file(tmp_path, mutate, message):
    path = tmp_path / "bad-images-idx3-ubyte"
    path.write_bytes(mutate(idx_bytes(np.zeros((3, 4, 5), np.uint8))))
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_truncated_gzip_raises_naming_file(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes((SHIPPED / "t10k-labels-idx1-ubyte.gz").read_bytes()[:-100])
    with pytest.raises(ValueError, match="gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


# ----------------------------------------------------------------------------------- loading


def test_load_fashion_mnist_from_raw_files(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (6, 28, 28), dtype=np.uint8)
    labels = np.array([0, 9, 3, 3, 1, 2], dtype=np.uint8)
    write_split(tmp_path / "fashion-mnist", "train", images, labels, gz=False)
    got_images, got_labels = load_dataset("fashion-mnist", "train", tmp_path)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_missing_dataset_says_how_to_get_it(tmp_path):
    with pytest.raises(DatasetNotFound) as info:
        load_dataset("mnist", "train", tmp_path)
    assert isinstance(info.value, FileNotFoundError)
    message = str(info.value)
    assert "train-images-idx3-ubyte" in message
    assert "--download" in message
    assert str(tmp_path) in message


def test_missing_fashion_mentions_the_debian_package(tmp_path, monkeypatch):
    monkeypatch.setitem(data.SYSTEM_DIRS, "fashion-mnist", (tmp_path / "nowhere",))
    with pytest.raises(DatasetNotFound, match="apt-get install dataset-fashion-mnist"):
        load_dataset("fashion-mnist", "test", tmp_path)


def test_fashion_found_in_the_system_directory(tmp_path, monkeypatch):
    system = tmp_path / "usr-share"
    write_split(system, "test", np.zeros((2, 28, 28), np.uint8), np.array([1, 2], np.uint8), True)
    monkeypatch.setitem(data.SYSTEM_DIRS, "fashion-mnist", (system,))
    images, labels = load_dataset("fashion-mnist", "test", tmp_path / "empty")
    assert images.shape == (2, 28, 28) and list(labels) == [1, 2]


@pytest.mark.parametrize(
    "name, split, bad", [("cifar10", "train", "'cifar10'"), ("mnist", "val", "'val'")]
)
def test_bad_name_or_split(name, split, bad):
    with pytest.raises(ValueError, match=bad):
        load_dataset(name, split)


def test_images_and_labels_must_match(tmp_path):
    write_split(tmp_path, "test", np.zeros((3, 28, 28), np.uint8), np.zeros(2, np.uint8), True)
    with pytest.raises(ValueError, match="3 images but .* 2 labels"):
        load_dataset("mnist", "test", tmp_path)


def test_images_must_be_28x28(tmp_path):
    write_split(tmp_path, "test", np.zeros((2, 32, 32), np.uint8), np.zeros(2, np.uint8), True)
    with pytest.raises(ValueError, match=r"\(2, 32, 32\)"):
        load_dataset("mnist", "test", tmp_path)


def test_labels_must_be_classes(tmp_path):
    write_split(
        tmp_path, "test", np.zeros((2, 28, 28), np.uint8), np.array([3, 10], np.uint8), True
    )
    with pytest.raises(ValueError, match="label 10"):
        load_dataset("mnist", "test", tmp_path)


# ---------------------------------------------------------------------------------- download


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def serve(tmp_path):
    """Serve a directory over HTTP on 127.0.0.1; yields ``start(folder) -> base URL``."""
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_download_fails_fast_when_unreachable(tmp_path):
    mirrors = [f"http://127.0.0.1:{free_port()}/", f"http://127.0.0.1:{free_port()}/mnist/"]
    start = time.perf_counter()
    with pytest.raises(DownloadError) as info:
        download("mnist", tmp_path, mirrors=mirrors)
    elapsed = time.perf_counter() - start
    assert elapsed < 3.0, f"took {elapsed:.2f} s to give up"
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message
    assert "refused" in message.lower()
    assert mirrors[0] in message and mirrors[1].rstrip("/") in message
    assert "by hand" in message
    assert list((tmp_path / "mnist").iterdir()) == []


def test_download_times_out_on_a_silent_server(tmp_path):
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        start = time.perf_counter()
        with pytest.raises(DownloadError, match="timed out"):
            download("mnist", tmp_path, timeout=0.5, mirrors=[url])
        elapsed = time.perf_counter() - start
    assert elapsed < 3.0, f"took {elapsed:.2f} s with a 0.5 s timeout"


def test_download_rejects_wrong_bytes(tmp_path, serve):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for filename in (f for pair in data.FILES.values() for f in pair):
        (mirror / f"{filename}.gz").write_bytes(gzip.compress(b"not mnist"))
    with pytest.raises(DownloadError, match="checksum mismatch for train-images-idx3-ubyte.gz"):
        download("mnist", tmp_path / "data", mirrors=[serve(mirror)])
    assert list((tmp_path / "data" / "mnist").iterdir()) == []  # nothing half-written


def test_download_reports_http_errors(tmp_path, serve):
    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    with pytest.raises(DownloadError, match="HTTP 404"):
        download("mnist", tmp_path / "data", mirrors=[serve(empty)])


def test_download_from_local_mirror_then_load(tmp_path, serve):
    mirror = tmp_path / "mirror"
    shutil.copytree(SHIPPED, mirror)
    target = tmp_path / "data"
    # the training files are already there, so only the test files are fetched
    write_split(
        target / "mnist", "train", np.zeros((1, 28, 28), np.uint8), np.zeros(1, np.uint8), True
    )
    bad = tmp_path / "bad-mirror"
    bad.mkdir()
    (bad / "t10k-images-idx3-ubyte.gz").write_bytes(b"garbage")
    paths = download("mnist", target, mirrors=[serve(bad), serve(mirror)])  # first one is skipped
    assert [p.name for p in paths] == [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    assert sorted(p.name for p in (target / "mnist").iterdir()) == sorted(p.name for p in paths)
    images, labels = load_dataset("mnist", "test", target)
    assert images.shape == (10_000, 28, 28) and labels[0] == 7


def test_verify_accepts_published_gz_and_regzipped_payloads():
    payload = b"idx payload"
    gz = gzip.compress(payload)
    table = {"f": (hashlib.sha256(gz).hexdigest(), hashlib.sha256(payload).hexdigest())}
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(data.CHECKSUMS, "mnist", table)
        verify("mnist", "f", gz)  # matches the .gz sum
        verify("mnist", "f", gzip.compress(payload, compresslevel=1, mtime=1))  # re-gzipped
        with pytest.raises(ValueError, match="checksum mismatch for f.gz"):
            verify("mnist", "f", gzip.compress(b"other"))
        with pytest.raises(ValueError, match="checksum mismatch"):
            verify("mnist", "f", b"not gzip at all")
