"""Your own data: upload a zip, list, train on it, delete; every hostile zip refused, nothing left.

Zips are built in the test (``tests.zips``); hostile ones are refused with a 4xx that names the
entry and the limit, and leave the data sets folder as it was.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from app.core.settings import Settings
from app.main import create_app
from engine import architectures, cifar10
from tests.zips import declared_size_zip, image_bytes, make_zip, pattern_bytes, two_class_files

TWO_CLASS_NET = [
    {"type": "conv2d", "config": {"out_channels": 2, "kernel_size": 3}},
    {"type": "relu"},
    {"type": "flatten"},
    {"type": "dense", "config": {"out_features": 2}},
]


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        models_dir=tmp_path / "models",
        data_dir=tmp_path / "data",
        cache_dir=tmp_path / "cache",
        training_mode="thread",
        max_dataset_image_pixels=64 * 64,
    )


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def make_settings_client(settings):
    """A client over these settings with some limits changed."""
    clients = []

    def make(**changes) -> TestClient:
        clients.append(TestClient(create_app(settings.model_copy(update=changes))))
        return clients[-1].__enter__()

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def upload(client, data: bytes, name: str = "Pets", **headers):
    files = {"archive": ("pets.zip", data, "application/zip")}
    return client.post("/api/datasets", files=files, data={"name": name}, headers=headers)


def stored(settings) -> list[str]:
    folder = settings.models_dir / ".datasets"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_built_ins_are_listed_and_read_only(client):
    listed = {d["id"]: d for d in client.get("/api/datasets").json()["datasets"]}
    assert list(listed) == ["mnist", "fashion-mnist", "cifar10"]
    cifar = listed["cifar10"]
    assert cifar["image_shape"] == [3, 32, 32] and cifar["classes"][0] == "airplane"
    assert cifar["counts"] == {"train": 0, "test": 150} and not cifar["available"]
    assert "python -m engine download --dataset cifar10" in cifar["source"]
    r = client.delete("/api/datasets/mnist")
    assert r.status_code == 403 and "read-only" in r.json()["detail"]
    assert client.get("/api/datasets/nope").status_code == 404


def test_upload_list_and_delete_a_class_folder(client, settings):
    r = upload(client, make_zip(two_class_files(split=False, n=5)), "My pets")
    assert r.status_code == 201, r.text
    info = r.json()
    assert info["id"] == "my-pets" and info["classes"] == ["cat", "dog"]
    assert info["counts"] == {"train": 8, "test": 2} and info["image_shape"] == [3, 8, 8]
    assert "made for you" in info["source"]  # the split is stated
    assert "my-pets" in [d["id"] for d in client.get("/api/datasets").json()["datasets"]]
    assert stored(settings) == ["my-pets.json", "my-pets.npz"]
    again = upload(client, make_zip(two_class_files()), "My pets").json()
    assert again["id"] != "my-pets" and again["counts"] == {"train": 6, "test": 6}
    assert client.delete("/api/datasets/my-pets").status_code == 200
    assert client.get("/api/datasets/my-pets").status_code == 404
    assert stored(settings) == [f"{again['id']}.json", f"{again['id']}.npz"]


HOSTILE = [
    ({"../up/a.png": image_bytes(), "cat/b.png": image_bytes()}, "'../up/a.png'", "climb out"),
    ({"/etc/cat/a.png": image_bytes(), "dog/b.png": image_bytes()}, "'/etc/cat/a.png'", "absolute"),
    ({"cat/a.png": image_bytes(), "dog/b.exe": b"MZ"}, "'dog/b.exe'", "not an image"),
    ({"cat/a.png": image_bytes(), "dog/b.png": b"\x89PNG junk"}, "'dog/b.png'", "not a readable"),
    (
        {"cat/a.png": image_bytes(), "dog/b.png": image_bytes(100, 100)},
        "100×100",
        "max_image_pixels",
    ),
    ({"cat/a.png": image_bytes(), "dog/b.png": image_bytes(9, 8)}, "'dog/b.png' is 8×9", "mixed"),
]


@pytest.mark.parametrize(("files", "entry", "why"), HOSTILE)
def test_hostile_zips_are_refused_naming_the_entry_and_leave_nothing(
    client, settings, files, entry, why
):
    r = upload(client, make_zip(files))
    assert r.status_code == 422, r.text
    assert entry in r.json()["detail"] and why in r.json()["detail"]
    assert stored(settings) == []


def test_links_empty_classes_sizes_and_entry_counts_are_refused(make_settings_client, settings):
    client = make_settings_client(max_dataset_entries=13)
    cases = [
        (
            make_zip(two_class_files(), links={"train/cat/l.png": "../../x"}),
            "links are not allowed",
        ),
        (make_zip(two_class_files(), dirs=["train/bird"]), "class 'bird' has no images"),
        (make_zip(two_class_files(n=4)), "max_entries = 13"),
        (declared_size_zip("cat/a.png", 2**31), "max_file_bytes"),
        (b"PK\x03\x04 not really a zip", "not a readable zip"),
    ]
    for data, words in cases:
        r = upload(client, data)
        assert r.status_code == 422 and words in r.json()["detail"], (words, r.text)
    assert stored(settings) == []


def test_an_upload_over_the_byte_limit_is_a_413(make_settings_client, settings):
    client = make_settings_client(max_dataset_upload_bytes=2000)
    r = upload(client, make_zip(two_class_files(n=20)))
    assert r.status_code == 413 and "max_dataset_upload_bytes = 2,000" in r.json()["detail"]
    assert stored(settings) == []
    limits = client.get("/api/limits").json()
    assert limits["max_dataset_upload_bytes"] == 2000 and limits["max_dataset_entries"] > 0


def test_train_on_an_uploaded_data_set_with_flips_and_crops(client, settings):
    info = upload(client, make_zip(two_class_files(n=6))).json()
    check = client.post(
        "/api/architectures/validate", json={"architecture": TWO_CLASS_NET, "dataset": info["id"]}
    ).json()
    assert (
        check["valid"] and check["input_shape"] == [3, 8, 8] and check["classes"] == ["cat", "dog"]
    )
    job = {"name": "pets net", "dataset": info["id"], "architecture": TWO_CLASS_NET, "epochs": 1}
    r = client.post("/api/train", json={**job, "batch_size": 4, "flip": True, "crop": 2})
    assert r.status_code == 202, r.text
    with client.stream("GET", f"/api/train/{r.json()['id']}/events") as events:
        last = None
        for line in events.iter_lines():
            if line.startswith("event: end"):
                last = "end"
            elif last == "end" and line.startswith("data: "):
                done = json.loads(line[6:])["job"]
                break
    assert done["state"] == "done", done
    model = client.get(f"/api/models/{done['model_id']}").json()
    assert model["classes"] == ["cat", "dog"] and model["input_shape"] == [3, 8, 8]
    refused = client.post("/api/train", json={**job, "dataset": "no-such-set"})
    assert refused.status_code == 422 and "no data set 'no-such-set'" in refused.text


def test_the_train_page_offers_an_upload_and_the_colour_options(client):
    page = client.get("/train").text
    assert 'data-testid="dataset-upload"' in page and 'name="flip"' in page
    options = client.get("/api/train/options").json()
    assert options["input_shapes"]["cifar10"] == [3, 32, 32]
    assert options["defaults"]["flip"] is False and options["bounds"]["crop"] == [0, 16]
    assert "cifar10-lenet" in options["presets"]


def test_cifar10_in_the_data_dir_is_listed_and_trains_with_its_shape(settings):
    files = {
        f"{which}/{cls}/0.jpg": pattern_bytes(32, 32, c)[0]  # PNG bytes: Pillow reads the content
        for c, cls in enumerate(cifar10.CLASSES)
        for which in ("train", "test")
    }
    (settings.data_dir / "cifar10").mkdir(parents=True)
    (settings.data_dir / "cifar10" / cifar10.ZIP).write_bytes(make_zip(files))
    with TestClient(create_app(settings)) as client:
        info = client.get("/api/datasets/cifar10").json()
        assert info["available"] and "JPEG" in info["source"]
        lenet = architectures.load_spec("cifar10-lenet")["layers"]
        check = client.post(
            "/api/architectures/validate", json={"architecture": lenet, "dataset": "cifar10"}
        ).json()
        assert check["valid"] and check["input_shape"] == [3, 32, 32]
        assert [layer["output_shape"] for layer in check["layers"][:3]] == [
            [6, 28, 28], [6, 28, 28], [6, 14, 14]
        ]  # fmt: skip
        job = {"name": "lenet", "dataset": "cifar10", "architecture": lenet, "epochs": 1}
        r = client.post("/api/train", json={**job, "batch_size": 5, "flip": True, "crop": 4})
        assert r.status_code == 202, r.text


def test_an_unknown_data_set_is_a_422_when_validating(client):
    r = client.post(
        "/api/architectures/validate", json={"architecture": TWO_CLASS_NET, "dataset": "nope"}
    )
    assert r.status_code == 422 and "dataset: no data set 'nope'" in r.json()["detail"]


def test_uploads_have_a_budget_and_a_lifetime_and_the_oldest_go_first(make_settings_client):
    client = make_settings_client(max_datasets=2)
    limits = client.get("/api/limits").json()
    assert limits["max_dataset_age_days"] > 0 and limits["max_dataset_store_bytes"] > 0
    ids = [
        upload(client, make_zip(two_class_files()), name=f"set {i}").json()["id"] for i in range(3)
    ]
    listed = [d["id"] for d in client.get("/api/datasets").json()["datasets"]]
    assert ids[0] not in listed and ids[1] in listed and ids[2] in listed  # the oldest went
    gone = client.get(f"/api/datasets/{ids[0]}")
    assert gone.status_code == 404 and "expired" in gone.json()["detail"]
    # past its lifetime a data set is deleted, and a link to it says why
    folder = client.app.state.settings.models_dir / ".datasets"
    record = json.loads((folder / f"{ids[1]}.json").read_text())
    record["created"] -= (limits["max_dataset_age_days"] + 1) * 86_400
    (folder / f"{ids[1]}.json").write_text(json.dumps(record))
    old = client.get(f"/api/datasets/{ids[1]}")
    assert old.status_code == 404 and "max_dataset_age_days" in old.json()["detail"]
    assert client.get(f"/api/datasets/{ids[2]}").status_code == 200
