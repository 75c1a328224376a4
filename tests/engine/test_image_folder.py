"""Image-folder data sets: the layouts, the seeded split, the cache, and every refusal."""

from __future__ import annotations

import dataclasses
import io
import zipfile

import numpy as np
import pytest

from engine import image_folder
from engine.image_folder import BadImageFolder, Limits, read_folder
from tests.zips import (
    declared_size_zip,
    image_bytes,
    make_zip,
    pattern_bytes,
    two_class_files,
)


def zip_path(tmp_path, data: bytes):
    path = tmp_path / "set.zip"
    path.write_bytes(data)
    return path


def test_split_layout_decodes_exact_pixels_in_class_order(tmp_path):
    a, pa = pattern_bytes(6, 5, seed=1)
    b, pb = pattern_bytes(6, 5, seed=2)
    c, pc = pattern_bytes(6, 5, seed=3)
    files = {"train/zebra/a.png": a, "train/ant/b.png": b, "test/zebra/c.png": c}
    folder = read_folder(zip_path(tmp_path, make_zip(files)))
    assert folder.classes == ["ant", "zebra"] and not folder.split_made
    assert folder.image_shape == (3, 6, 5) and folder.counts() == {"train": 2, "test": 1}
    order = np.argsort(folder.y_train)  # ant (0) then zebra (1)
    np.testing.assert_array_equal(folder.x_train[order], np.stack([pb, pa]))
    np.testing.assert_array_equal(folder.x_test[0], pc)
    x, y = folder.images("test")
    assert x.dtype == np.float32 and x.shape == (1, 3, 6, 5) and y.tolist() == [1]
    np.testing.assert_allclose(x[0], pc / 255.0, rtol=1e-6)


def test_class_layout_gets_a_seeded_stratified_split(tmp_path):
    path = zip_path(tmp_path, make_zip(two_class_files(split=False, n=10)))
    one, two = read_folder(path, seed=3), read_folder(path, seed=3)
    assert one.split_made and one.counts() == {"train": 16, "test": 4}
    assert np.bincount(one.y_test).tolist() == [2, 2]  # 20 % of each class
    np.testing.assert_array_equal(one.x_test, two.x_test)  # the same seed, the same split
    other = read_folder(path, seed=4)
    assert not np.array_equal(other.x_test, one.x_test)


def test_split_keeps_a_training_image_per_class():
    y = np.array([0, 1, 1])
    test = image_folder.split(y, 0.5, seed=0)
    assert not test[0] and test[1:].sum() == 1


def test_one_top_folder_grey_images_and_a_directory_source(tmp_path):
    files = {f"mine/{k}": v for k, v in two_class_files().items()}
    files["mine/train/cat/grey.png"] = image_bytes(8, 8, value=7, mode="L")
    zipped = read_folder(zip_path(tmp_path, make_zip(files)))
    assert zipped.classes == ["cat", "dog"] and zipped.counts() == {"train": 7, "test": 6}
    root = tmp_path / "dir"
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    walked = read_folder(root)
    assert walked.classes == zipped.classes
    assert sorted(walked.x_train.sum(axis=(1, 2, 3))) == sorted(zipped.x_train.sum(axis=(1, 2, 3)))


def test_mixed_sizes_are_refused_or_stretched(tmp_path):
    files = two_class_files()
    files["train/dog/big.png"] = image_bytes(12, 10)
    path = zip_path(tmp_path, make_zip(files))
    with pytest.raises(BadImageFolder, match=r"'train/dog/big.png' is 10×12.*first image is 8×8"):
        read_folder(path)
    assert read_folder(path, size=(4, 6)).image_shape == (3, 4, 6)


def test_cache_round_trip_is_exact_and_atomic(tmp_path):
    folder = read_folder(zip_path(tmp_path, make_zip(two_class_files())))
    image_folder.save(folder, tmp_path / "c.npz")
    back = image_folder.load(tmp_path / "c.npz")
    assert back.classes == folder.classes and back.split_made == folder.split_made
    for field in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(back, field), getattr(folder, field))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.npz", "set.zip"]


HOSTILE = [
    ({"../evil/cat/a.png": image_bytes()}, "'..' would climb out"),
    ({"/abs/cat/a.png": image_bytes()}, "absolute paths"),
    ({"train\\cat\\a.png": image_bytes()}, "backslashes"),
    ({"cat/a.png": image_bytes(), "dog/notes.txt": b"hello"}, r"'dog/notes.txt' is not an image"),
    ({"cat/a.png": image_bytes(), "dog/b.jpg": b"not a jpeg"}, r"'dog/b.jpg' is not a readable"),
    ({"cat/a.png": image_bytes()}, "at least 2 are needed"),
    ({"cat/a.png": image_bytes(), "dog/x/b.png": image_bytes()}, "is not at <class>/<image>"),
]


@pytest.mark.parametrize(("files", "message"), HOSTILE)
def test_hostile_archives_are_refused_naming_the_entry(tmp_path, files, message):
    with pytest.raises(BadImageFolder, match=message):
        read_folder(zip_path(tmp_path, make_zip(files)))


def test_symlinks_are_refused_in_zips_and_directories(tmp_path):
    data = make_zip(two_class_files(), links={"train/cat/link.png": "/etc/passwd"})
    with pytest.raises(BadImageFolder, match="'train/cat/link.png': links are not allowed"):
        read_folder(zip_path(tmp_path, data))
    root = tmp_path / "dir" / "cat"
    root.mkdir(parents=True)
    (root / "a.png").write_bytes(image_bytes())
    (root.parent / "dog").symlink_to(root)
    with pytest.raises(BadImageFolder, match="'dog': links"):
        read_folder(root.parent)


def test_a_class_folder_with_no_images_is_refused(tmp_path):
    data = make_zip(two_class_files(), dirs=["train/bird/"])
    with pytest.raises(BadImageFolder, match="class 'bird' has no images in train/bird/"):
        read_folder(zip_path(tmp_path, data))


def test_entry_count_and_declared_sizes_are_checked_before_decoding(tmp_path):
    path = zip_path(tmp_path, make_zip(two_class_files()))
    with pytest.raises(BadImageFolder, match="12 entries, more than the limit max_entries = 5"):
        read_folder(path, Limits(max_entries=5))
    with pytest.raises(BadImageFolder, match="more than the limit max_file_bytes = 10"):
        read_folder(path, Limits(max_file_bytes=10))
    with pytest.raises(BadImageFolder, match="max_total_bytes"):
        read_folder(path, Limits(max_total_bytes=200))
    bomb = zip_path(tmp_path, declared_size_zip("cat/a.png", 3_000_000_000))
    with pytest.raises(BadImageFolder, match="'cat/a.png' declares 3,000,000,000 bytes"):
        read_folder(bomb)


def test_huge_pixel_counts_are_refused_from_the_header(tmp_path):
    files = two_class_files()
    files["train/cat/huge.png"] = image_bytes(3000, 3000, mode="L")  # small file, 9 Mpx
    with pytest.raises(BadImageFolder, match=r"'train/cat/huge.png' declares 3000×3000"):
        read_folder(zip_path(tmp_path, make_zip(files)))
    with pytest.raises(BadImageFolder, match="max_values"):
        read_folder(zip_path(tmp_path, make_zip(two_class_files())), Limits(max_values=100))


def test_a_zip_whose_data_lies_about_its_size_is_refused(tmp_path):
    data = make_zip(two_class_files())
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("train/cat/0.png")
    central = data.rfind(b"train/cat/0.png") - 46  # its central record: 46 bytes, then the name
    patched = bytearray(data)
    patched[central + 24 : central + 28] = (info.file_size - 5).to_bytes(4, "little")
    with pytest.raises(BadImageFolder, match="'train/cat/0.png'"):
        read_folder(zip_path(tmp_path, bytes(patched)))


def test_limits_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Limits().max_entries = 1
