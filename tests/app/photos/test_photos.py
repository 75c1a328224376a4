"""Photos kept for links: ``POST /api/photos`` stores an image and answers its id and expiry,
``GET /api/photos/{id}`` gives it back; the limits are an image input's, and the store keeps
photos a stated while, within a count and a byte budget, the oldest going first."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from app.core.kept import Budget, Stored, past_budget
from tests.utils import draw_seven, png


@pytest.fixture
def photos(make_client, tmp_path):
    """A client whose photos go to a folder of this test's own (other limits as given)."""

    def make(**changes):
        return make_client(photos_dir=tmp_path / "photos", **changes)

    return make


def colour_photo(side: int = 64, fmt: str = "PNG") -> bytes:
    rng = np.random.default_rng(side)
    return png(rng.integers(0, 256, (side, side, 3), dtype=np.uint8), fmt)


def test_a_photo_is_kept_and_given_back_with_its_expiry(photos):
    client = photos()
    data = colour_photo(fmt="JPEG")
    r = client.post("/api/photos", content=data, headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 201, r.text
    info = r.json()
    assert (info["width"], info["height"], info["bytes"]) == (64, 64, len(data))
    assert info["media_type"] == "image/jpeg" and info["url"] == f"/api/photos/{info['id']}"
    days = client.get("/api/limits").json()["max_photo_age_days"]
    assert info["kept_days"] == days
    assert info["expires"] - info["created"] == pytest.approx(days * 86_400)
    back = client.get(info["url"])
    assert back.status_code == 200 and back.content == data  # the file as uploaded
    assert back.headers["content-type"] == "image/jpeg" and "GMT" in back.headers["expires"]


def test_what_is_not_a_photo_within_the_limits_is_refused_and_not_kept(photos, tmp_path):
    client = photos(max_image_bytes=20_000, max_image_pixels=100 * 100)
    too_big = client.post("/api/photos", content=b"\x89PNG" + bytes(20_001))
    assert too_big.status_code == 413 and "max_image_bytes = 20,000" in too_big.json()["detail"]
    not_image = client.post("/api/photos", content=b"GIF89a not a format we take")
    assert not_image.status_code == 422 and "not a PNG, JPEG or WebP" in not_image.json()["detail"]
    many_pixels = client.post("/api/photos", content=png(draw_seven(size=120)))
    assert many_pixels.status_code == 413 and "max_image_pixels" in many_pixels.json()["detail"]
    empty = client.post("/api/photos", content=b"")
    assert empty.status_code == 422 and empty.json()["detail"].startswith("image")
    folder = tmp_path / "photos"
    assert not folder.exists() or not any(folder.iterdir())


def test_an_unknown_or_expired_photo_is_a_404_that_says_why(photos, tmp_path):
    client = photos()
    for photo_id in ("AAAAAAAAAAAAAAAA", "not.an.id", "x"):
        r = client.get(f"/api/photos/{photo_id}")
        detail = r.json()["detail"]
        assert r.status_code == 404
        assert "may have expired" in detail and "max_photo_age_days" in detail
    info = client.post("/api/photos", content=colour_photo()).json()
    record_path = tmp_path / "photos" / f"{info['id']}.json"
    record = json.loads(record_path.read_text())
    record["created"] -= 8 * 86_400  # past the default 7 days
    record_path.write_text(json.dumps(record))
    assert client.get(info["url"]).status_code == 404
    assert not record_path.exists()  # pruned


def test_the_oldest_photos_go_first_past_the_count_or_byte_budget(photos):
    one = len(colour_photo(32))
    client = photos(max_photos=2, max_photo_store_bytes=10 * one)
    ids = [client.post("/api/photos", content=colour_photo(32)).json()["id"] for _ in range(3)]
    kept = [client.get(f"/api/photos/{i}").status_code for i in ids]
    assert kept == [404, 200, 200]
    tight = photos(max_photo_store_bytes=2 * one + one // 2)  # two fit, not three
    ids = [tight.post("/api/photos", content=colour_photo(32)).json()["id"] for _ in range(3)]
    assert [tight.get(f"/api/photos/{i}").status_code for i in ids][-2:] == [200, 200]


def test_past_budget_deletes_the_expired_then_the_oldest_but_never_the_one_kept():
    now = time.time()
    stored = [Stored("old", now - 100, 10), Stored("a", now - 5, 10), Stored("b", now - 1, 10)]
    assert past_budget(stored, Budget(50, 10, 1000), now) == ["old"]
    assert past_budget(stored, Budget(500, 1, 1000), now) == ["old", "a"]
    assert past_budget(stored, Budget(500, 10, 15), now) == ["old", "a"]
    assert past_budget(stored, Budget(500, 1, 1000), now, keep="old") == ["a", "b"]
