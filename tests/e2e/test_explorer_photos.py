"""The explorer with a colour model (ui.md, "Colour models"): a photo from the samples, the file
picker, a paste, a drop or the (fake) camera runs the network; the network input shown is the
API's numbers, in colour and as three grids; the top five are the API's; a file that is not an
image, or is too large, is refused in words on the page; a grey model keeps the drawing pad."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from app.core.settings import REPO_ROOT
from tests.e2e.helpers import (
    SEVEN,
    draw,
    post_json,
    rendered_by,
    renders,
    wait_for_render_after,
    wait_until,
)

pytestmark = pytest.mark.e2e

COLOUR = "cifar10-lenet"
CIFAR = REPO_ROOT / "static" / "samples" / "cifar10"
PHOTOS = REPO_ROOT / "static" / "samples" / "photos"


def open_colour(page, server):
    if COLOUR not in {m["id"] for m in server.get_json("/api/models")["models"]}:
        pytest.skip(f"{COLOUR} is not installed")
    page.goto(f"{server.url}/?model={COLOUR}")
    expect(page.get_by_test_id("photo-panel")).to_be_visible()
    expect(page.get_by_test_id("sample-images").locator(".sample")).to_have_count(20)


@pytest.fixture
def colour(desktop, server):
    """``(page, watch)``: the explorer at a desktop size with the colour model chosen."""
    page, watch = desktop
    open_colour(page, server)
    return page, watch


def data_url(raw: bytes, mime: str = "image/jpeg") -> str:
    return f"data:{mime};base64,{base64.b64encode(raw).decode()}"


def shown_input(page) -> np.ndarray:
    """The colour network input as painted: (3, H, W) in [0, 1]."""
    w, h, rgba = (
        page.get_by_test_id("network-input")
        .locator("canvas.colour-image")
        .evaluate(
            """c => [c.width, c.height,
                     Array.from(c.getContext("2d").getImageData(0, 0, c.width, c.height).data)]"""
        )
    )
    return np.array(rgba, dtype=np.float64).reshape(h, w, 4)[..., :3].transpose(2, 0, 1) / 255


def assert_shows(page, server, raw: bytes) -> None:
    """The page shows the API's network input and top five for the photo ``raw``."""
    answer = post_json(server, f"/api/models/{COLOUR}/predict", {"image": data_url(raw)})
    expected = np.array(answer["input"])  # (3, H, W): what the network sees
    shown = shown_input(page)
    assert shown.shape == expected.shape == (3, 32, 32)
    assert np.abs(shown - expected).max() <= 1 / 255 + 1e-4  # painted as bytes
    network_input = page.get_by_test_id("network-input")
    for canvas in network_input.locator(".colour-channels canvas").all():
        assert canvas.evaluate("c => [c.width, c.height]") == [32, 32]
    expect(network_input.locator(".colour-channels canvas")).to_have_count(3)
    rows = page.get_by_test_id("top-classes").locator("li")
    expect(rows).to_have_count(5)
    labels = [t["label"] for t in answer["top"]]
    assert [r.locator(".prob-label").inner_text() for r in rows.all()] == labels
    expect(page.get_by_test_id("prediction")).to_have_text(answer["label"])


def png_file(name: str, raw: bytes) -> dict:
    """A file for ``set_input_files`` that says it is a PNG, whatever it holds."""
    return {"name": name, "mimeType": "image/png", "buffer": raw}


def send_file(page, event: str, raw: bytes, name: str, mime: str) -> None:
    """Dispatch a ``paste`` (ClipboardEvent) or ``drop`` (DragEvent) carrying the file on the
    photo panel, as the browser does for Ctrl+V or a file dragged in."""
    page.get_by_test_id("photo-drop").evaluate(
        """(el, [event, b64, name, type]) => {
            const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
            const data = new DataTransfer();
            data.items.add(new File([bytes], name, { type }));
            const init = { bubbles: true, cancelable: true };
            el.dispatchEvent(event === "paste"
                ? new ClipboardEvent("paste", { ...init, clipboardData: data })
                : new DragEvent("drop", { ...init, dataTransfer: data }));
        }""",
        [event, base64.b64encode(raw).decode(), name, mime],
    )


def test_a_sample_photo_shows_what_the_network_sees_and_the_top_five(colour, server, artifacts):
    page, _ = colour
    expect(page.get_by_test_id("draw-canvas")).to_be_hidden()
    expect(page.get_by_test_id("gallery")).to_be_hidden()
    expect(page.get_by_test_id("sample-credits")).to_contain_text("CIFAR-10")
    sample = page.get_by_test_id("sample-images").locator(".sample").nth(6)
    rendered_by(page, sample.click)
    expect(sample).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("photo-source")).to_contain_text("Krizhevsky")
    assert_shows(page, server, (CIFAR / sample.get_attribute("data-file")).read_bytes())
    expect(page.get_by_test_id("network-input")).to_have_count(1)  # the hook moved, not doubled
    page.screenshot(path=str(artifacts / "photos-sample-desktop.png"), full_page=True)
    # pointing at the overview's input column names the photo's channel (it read a drawing's)
    box = page.locator('[data-layer="-1"] canvas').first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.5)
    expect(page.get_by_test_id("overview-detail")).to_contain_text("channel 1, pixel")


def test_upload_paste_and_drop_each_run_the_photo(colour, server):
    page, _ = colour
    raw = (CIFAR / "ship_0000.jpg").read_bytes()
    upload = page.get_by_test_id("image-upload")
    rendered_by(page, lambda: upload.set_input_files(str(CIFAR / "ship_0000.jpg")))
    expect(page.get_by_test_id("photo-source")).to_contain_text("ship_0000.jpg")
    assert_shows(page, server, raw)

    raw = (CIFAR / "frog_0001.jpg").read_bytes()
    rendered_by(page, lambda: send_file(page, "paste", raw, "frog.jpg", "image/jpeg"))
    expect(page.get_by_test_id("photo-source")).to_have_text("Pasted: frog.jpg")
    assert_shows(page, server, raw)

    raw = (CIFAR / "truck_0000.jpg").read_bytes()
    rendered_by(page, lambda: send_file(page, "drop", raw, "truck.jpg", "image/jpeg"))
    expect(page.get_by_test_id("photo-source")).to_have_text("Dropped: truck.jpg")
    assert_shows(page, server, raw)


def test_the_fake_camera_takes_a_photo_and_runs_live(colour):
    page, _ = colour
    webcam = page.get_by_test_id("webcam")
    webcam.get_by_role("button", name="Use the camera").click()
    take = webcam.get_by_role("button", name="Take a photo")
    expect(take).to_be_visible()
    wait_until(page, "document.querySelector('.webcam-video').videoWidth > 0")
    rendered_by(page, take.click)
    expect(page.get_by_test_id("photo-source")).to_contain_text("camera")
    expect(page.get_by_test_id("top-classes").locator("li")).to_have_count(5)
    # live: frames keep coming without a click, until the box is unticked
    count = renders(page)
    live = webcam.get_by_role("checkbox", name="live")
    live.check()
    wait_for_render_after(page, count + 1)
    # a photo from elsewhere ends the live mode (its next frame would replace the photo)
    rendered_by(page, page.get_by_test_id("sample-images").locator(".sample").first.click)
    expect(live).not_to_be_checked()
    expect(page.get_by_test_id("photo-source")).to_contain_text("Sample")
    webcam.get_by_role("button", name="Stop").click()
    expect(page.locator(".webcam-video")).to_be_hidden()
    assert page.evaluate("document.querySelector('.webcam-video').srcObject") is None


def test_a_refused_camera_is_said_in_words(desktop, server):
    page, _ = desktop
    page.add_init_script(
        "navigator.mediaDevices.getUserMedia = () =>"
        " Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));"
    )
    open_colour(page, server)
    page.get_by_test_id("webcam").get_by_role("button", name="Use the camera").click()
    expect(page.get_by_test_id("photo-message")).to_contain_text("camera was not allowed")


def test_not_an_image_and_too_large_are_refused_on_the_page(colour, server):
    page, watch = colour
    watch.expect_error(r"status of 4(13|22)")  # the API's refusals, logged by the browser
    message = page.get_by_test_id("photo-message")
    upload = page.get_by_test_id("image-upload")
    upload.set_input_files(png_file("notes.png", b"not a picture"))
    expect(message).to_have_text("image: not a PNG, JPEG or WebP (only those formats are accepted)")
    # too large in pixels: the API's 413, in its words
    buffer = io.BytesIO()
    Image.new("RGB", (3000, 8), (200, 10, 10)).save(buffer, "PNG")
    upload.set_input_files(png_file("wide.png", buffer.getvalue()))
    expect(message).to_contain_text("larger than the limit max_image_side = 2048")
    # too large in bytes: refused before it is read or sent, naming the server's limit
    limit = server.get_json("/api/limits")["max_image_bytes"]
    big = {"name": "huge.jpg", "mimeType": "image/jpeg", "buffer": b"\xff" * (limit + 1)}
    sent = []
    page.on("request", lambda r: "/activations" in r.url and sent.append(r.url))
    upload.set_input_files(big)
    expect(message).to_contain_text("max_image_bytes")
    assert sent == []
    # and a good photo afterwards clears the message
    rendered_by(page, lambda: upload.set_input_files(str(CIFAR / "cat_0000.jpg")))
    expect(message).to_be_hidden()


def test_keyboard_only(colour, server):
    page, _ = colour
    page.locator("body").focus()
    seen = []
    for _ in range(80):  # Tab through the page until a sample photo has the focus
        page.keyboard.press("Tab")
        seen.append(page.evaluate("(e => e.dataset.testid || e.className)(document.activeElement)"))
        if seen[-1] == "sample":
            break
    assert "image-upload" in seen and seen[-1] == "sample", seen
    page.keyboard.press("ArrowRight")
    rendered_by(page, lambda: page.keyboard.press("Enter"))
    second = page.get_by_test_id("sample-images").locator(".sample").nth(1)
    expect(second).to_be_focused()
    expect(second).to_have_attribute("aria-pressed", "true")
    assert_shows(page, server, (CIFAR / second.get_attribute("data-file")).read_bytes())


def test_choosing_a_grey_model_brings_the_drawing_pad_back(colour, server):
    page, _ = colour
    rendered_by(page, page.get_by_test_id("sample-images").locator(".sample").first.click)
    default = server.get_json("/api/models")["default"]
    page.get_by_test_id("model-select").select_option(default)
    expect(page.get_by_test_id("draw-canvas")).to_be_visible()
    expect(page.get_by_test_id("gallery")).to_be_visible()
    expect(page.get_by_test_id("photo-panel")).to_be_hidden()
    expect(page.get_by_test_id("top-classes")).to_be_hidden()
    assert page.get_by_test_id("network-input").evaluate("el => el.tagName") == "CANVAS"
    # the pad, hidden meanwhile, draws again at its size, and the digit runs
    rendered_by(page, lambda: draw(page, SEVEN))
    expect(page.get_by_test_id("prediction")).not_to_be_empty()
    size = page.get_by_test_id("network-input").evaluate("c => [c.width, c.height]")
    assert size == [28, 28]
