"""CIFAR-10: the binary records, the sources in order, the shipped sample, the download."""

from __future__ import annotations

import hashlib
import io
import tarfile

import numpy as np
import pytest

from engine import cifar10, image_folder
from engine.data import DatasetNotFound, DownloadError
from tests.live import free_port
from tests.zips import make_zip, pattern_bytes


def records(labels, seed=0) -> tuple[bytes, np.ndarray]:
    x = np.random.default_rng(seed).integers(0, 256, (len(labels), 3, 32, 32), dtype=np.uint8)
    rows = np.concatenate([np.array(labels, np.uint8)[:, None], x.reshape(len(labels), -1)], 1)
    return rows.tobytes(), x


def test_parse_batch_reads_label_then_rgb_planes():
    data, x = records([3, 9])
    images, labels = cifar10.parse_batch(data, "b")
    np.testing.assert_array_equal(images, x)
    assert labels.tolist() == [3, 9] and labels.dtype == np.int64
    with pytest.raises(ValueError, match="whole number of 3073-byte records"):
        cifar10.parse_batch(data[:-1], "b")
    with pytest.raises(ValueError, match="label 10"):
        cifar10.parse_batch(records([10])[0], "b")


def test_binary_release_is_read_from_the_tar_in_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(cifar10, "BATCH_BYTES", 2 * cifar10.RECORD)  # two records a batch
    buf = io.BytesIO()
    expected = {}
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for i, name in enumerate([*cifar10.BATCHES["train"], *cifar10.BATCHES["test"]]):
            data, x = records([i % 10, 1], seed=i)
            expected[name] = x
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (tmp_path / cifar10.ARCHIVE).write_bytes(buf.getvalue())
    assert cifar10.source(tmp_path) == "binary"
    x, y = cifar10.load("test", tmp_path, cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(x, expected["test_batch.bin"])
    assert y.tolist() == [5, 1]
    x, _ = cifar10.load("train", tmp_path, cache_dir=tmp_path / "cache")
    assert x.shape == (10, 3, 32, 32)
    assert len(list((tmp_path / "cache").glob("cifar10-binary-*.npz"))) == 1


def test_the_image_folder_zip_serves_the_same_loader(tmp_path):
    files, pixels = {}, {}
    for c, cls in enumerate(cifar10.CLASSES):
        for which in ("train", "test"):
            files[f"{which}/{cls}/0000.jpg"], pixels[(which, c)] = pattern_bytes(32, 32, c)
    (tmp_path / "cifar10").mkdir()
    (tmp_path / "cifar10" / cifar10.ZIP).write_bytes(make_zip(files))
    assert cifar10.source(tmp_path) == "jpeg"
    x, y = cifar10.load("test", tmp_path, cache_dir=tmp_path / "cache")
    assert y.tolist() == list(range(10))
    np.testing.assert_array_equal(x[4], pixels[("test", 4)])  # PNG bytes: lossless


def test_a_zip_with_other_classes_is_not_cifar10(tmp_path):
    files = {f"train/{c}/0.png": pattern_bytes(32, 32, 0)[0] for c in ("a", "b")}
    (tmp_path / cifar10.ZIP).write_bytes(make_zip(files))
    with pytest.raises(ValueError, match="not CIFAR-10"):
        cifar10.load_folder(tmp_path, tmp_path / "cache")


def test_without_a_copy_the_shipped_sample_serves_the_test_split(tmp_path):
    assert cifar10.source(tmp_path) == "sample"
    x, y = cifar10.load("test", tmp_path)
    assert x.shape == (150, 3, 32, 32) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == [15] * 10
    with pytest.raises(DatasetNotFound, match="python -m engine download --dataset cifar10"):
        cifar10.load("train", tmp_path)


def test_download_fails_fast_with_what_to_do(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/{cifar10.ARCHIVE}"
    with pytest.raises(DownloadError, match="by hand") as info:
        cifar10.download(tmp_path, timeout=1.0, url=url)
    assert url in str(info.value) and "refused" in str(info.value).lower()
    assert not (tmp_path / "cifar10" / cifar10.ARCHIVE).exists()


def test_download_checks_the_sha256_and_writes_atomically(tmp_path, monkeypatch):
    monkeypatch.setattr(cifar10, "fetch", lambda url, timeout: b"not the release")
    with pytest.raises(DownloadError, match=f"expected {cifar10.SHA256}"):
        cifar10.download(tmp_path)
    assert not (tmp_path / "cifar10").exists()
    monkeypatch.setattr(cifar10, "SHA256", hashlib.sha256(b"not the release").hexdigest())
    path = cifar10.download(tmp_path)
    assert path.read_bytes() == b"not the release" and path.name == cifar10.ARCHIVE
    assert image_folder.SPLITS == ("train", "test")
