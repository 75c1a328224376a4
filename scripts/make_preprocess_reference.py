"""Reference numbers for ``engine.preprocess.network_input``, computed with PIL + torchvision.

Run with a Python that has torchvision (the test suite needs neither it nor PyTorch):

    python scripts/make_preprocess_reference.py

Writes to tests/fixtures/preprocess/:

* the test pictures: ``exif_rotated.jpg`` (stored portrait, EXIF orientation 6: shown
  landscape), ``rgba.png`` (a photo with a radial alpha, fully transparent corners),
  ``grey.png`` (an odd-sized one-channel PNG) and ``truncated.jpg`` (the first 60 % of a JPEG);
* ``reference.npz`` (``allow_pickle=False``): ``cases`` (JSON: name, file, convention,
  input_shape) and per case ``<name>`` — the network input ``(C, H, W)`` float32 by
  torchvision's definitions — plus, for ``center-crop``, ``<name>.resized`` ``(h, w)`` and
  ``<name>.offsets`` ``(top, left)`` read back from what torchvision did; ``imagenet224`` (the
  full ImageNet ``Resize(256)`` + ``CenterCrop(224)`` before ``Normalize``, as uint8, exact);
  ``gray_luminance`` (PIL's ``L`` of a colour picture); ``sizes`` / ``resized`` / ``offsets``
  (torchvision's ``Resize(S)`` sizes and ``CenterCrop`` offsets for many odd shapes); and
  ``float_pixels`` (``pixels_in`` resized by torchvision's antialiased tensor ``Resize``).

The pipeline per case: ``Image.open`` → ``ImageOps.exif_transpose`` → transparency composited
on white (``Image.alpha_composite``) → ``convert("RGB")`` (grey repeated) or ``convert("L")``
(torchvision's ``Grayscale``) → ``Resize(S)`` + ``CenterCrop((H, W))`` | ``Resize((H, W))`` |
``Resize(fit)`` + ``CenterCrop((H, W))`` (which pads with 0) → ``ToTensor`` (or
``PILToTensor().float()`` for ``scale 255``) → BGR flip → ``Normalize(mean, std)``.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as TF
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "preprocess"
PHOTOS = ROOT / "static" / "samples" / "photos"
IMAGENET = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}

#: name → (picture, convention, input shape (C, H, W)); pictures are relative to the repo.
CASES = {
    "cat_crop": ("static/samples/photos/cat.jpg",
                 {**IMAGENET, "resize": {"mode": "center-crop", "size": 73}}, (3, 64, 64)),
    "cell_crop_odd": ("static/samples/photos/cell.jpg",
                      {"resize": {"mode": "center-crop", "size": 61}}, (3, 57, 61)),
    "text_crop_wide": ("static/samples/photos/text.jpg",
                       {**IMAGENET, "resize": {"mode": "center-crop", "size": 35}}, (3, 35, 35)),
    "rocket_stretch": ("static/samples/photos/rocket.jpg",
                       {"mean": [0.5], "std": [0.5]}, (3, 32, 32)),
    "coffee_pad": ("static/samples/photos/coffee.jpg",
                   {**IMAGENET, "resize": {"mode": "pad"}}, (3, 40, 36)),
    "cell_pad": ("static/samples/photos/cell.jpg", {"resize": {"mode": "pad"}}, (3, 33, 48)),
    "exif": ("tests/fixtures/preprocess/exif_rotated.jpg",
             {**IMAGENET, "resize": {"mode": "center-crop", "size": 48}}, (3, 48, 48)),
    "rgba": ("tests/fixtures/preprocess/rgba.png", {**IMAGENET}, (3, 45, 37)),
    "grey_on_colour": ("tests/fixtures/preprocess/grey.png",
                       {**IMAGENET, "resize": {"mode": "center-crop", "size": 40}}, (3, 36, 36)),
    "bgr": ("static/samples/photos/astronaut.jpg",
            {"channels": "bgr", "mean": [0.406, 0.456, 0.485], "std": [0.225, 0.224, 0.229]},
            (3, 35, 29)),
    "gray_photo": ("static/samples/photos/hubble-deep-field.jpg",
                   {"channels": "gray", "mean": [0.5], "std": [0.25],
                    "resize": {"mode": "stretch"}}, (1, 31, 27)),
    "raw255": ("static/samples/photos/clock.jpg", {"scale": 255}, (3, 30, 30)),
}  # fmt: skip


def save(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def encoded(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def make_pictures() -> None:
    cat = Image.open(PHOTOS / "cat.jpg").resize((151, 100), Image.Resampling.LANCZOS)
    stored = cat.transpose(Image.Transpose.ROTATE_90)  # 100 × 151: portrait on disk
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    save(OUT / "exif_rotated.jpg", encoded(stored, "JPEG", quality=90, exif=exif))
    astro = Image.open(PHOTOS / "astronaut.jpg").resize((97, 83), Image.Resampling.LANCZOS)
    yy, xx = np.mgrid[0:83, 0:97]
    r = np.hypot((yy - 41) / 41, (xx - 48) / 48)  # 0 at the centre, > 1 in the corners
    alpha = np.clip(255 * (1.2 - r) / 0.7, 0, 255).astype(np.uint8)
    rgba = astro.convert("RGBA")
    rgba.putalpha(Image.fromarray(alpha))
    save(OUT / "rgba.png", encoded(rgba, "PNG"))
    grey = Image.open(PHOTOS / "camera.jpg").convert("L").resize((75, 61), Image.BILINEAR)
    save(OUT / "grey.png", encoded(grey, "PNG"))
    whole = encoded(Image.open(PHOTOS / "coffee.jpg"), "JPEG", quality=90)
    save(OUT / "truncated.jpg", whole[: len(whole) * 6 // 10])


def opened(path: Path, channels: str) -> Image.Image:
    img = ImageOps.exif_transpose(Image.open(path))
    if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, img.convert("RGBA"))
    return img.convert("L" if channels == "gray" else "RGB")


def fit(h: int, w: int, H: int, W: int) -> tuple[int, int]:
    """Scale to fit inside H × W; the free side rounded half up (Fraction: exact)."""
    s = min(Fraction(H, h), Fraction(W, w))
    return max(1, int(h * s + Fraction(1, 2))), max(1, int(w * s + Fraction(1, 2)))


def reference(name: str, out: dict) -> None:
    file, conv, (C, H, W) = CASES[name]
    img = opened(ROOT / file, conv.get("channels", "rgb" if C == 3 else "gray"))
    mode = conv.get("resize", {"mode": "stretch"})["mode"]
    if mode == "center-crop":
        S = conv["resize"]["size"]
        img = T.Resize(S)(img)
        rows = torch.arange(img.height, dtype=torch.float32)[None, :, None].expand(
            1, img.height, img.width
        )
        cols = torch.arange(img.width, dtype=torch.float32)[None, None, :].expand_as(rows)
        out[f"{name}.resized"] = np.array([img.height, img.width])
        out[f"{name}.offsets"] = np.array(
            [int(TF.center_crop(rows, [H, W])[0, 0, 0]), int(TF.center_crop(cols, [H, W])[0, 0, 0])]
        )
        img = T.CenterCrop((H, W))(img)
    elif mode == "pad":
        img = T.CenterCrop((H, W))(T.Resize(fit(img.height, img.width, H, W))(img))
    else:
        img = T.Resize((H, W))(img)
    x = T.PILToTensor()(img).float() if conv.get("scale") == 255 else T.ToTensor()(img)
    if conv.get("channels") == "bgr":
        x = x.flip(0)
    if "mean" in conv:
        x = T.Normalize(conv["mean"], conv["std"])(x)
    out[name] = x.numpy().astype(np.float32)


def offsets_table(out: dict) -> None:
    """torchvision's ``Resize(S)`` size and ``CenterCrop`` offsets for 200 random shapes."""
    rng = np.random.default_rng(20)
    sizes, resized, offsets = [], [], []
    for _ in range(200):
        h, w = (int(v) for v in rng.integers(5, 400, size=2))
        H, W = (int(v) for v in rng.integers(3, 60, size=2))
        S = int(rng.integers(max(H, W), 90))
        img = T.Resize(S)(Image.new("L", (w, h)))
        rows = torch.arange(img.height, dtype=torch.float32)[:, None].expand(img.height, img.width)
        cols = torch.arange(img.width, dtype=torch.float32)[None, :].expand_as(rows)
        sizes.append([h, w, S, H, W])
        resized.append([img.height, img.width])
        offsets.append([int(TF.center_crop(rows[None], [H, W])[0, 0, 0]),
                        int(TF.center_crop(cols[None], [H, W])[0, 0, 0])])  # fmt: skip
    out["sizes"], out["resized"], out["offsets"] = (
        np.array(a, dtype=np.int64) for a in (sizes, resized, offsets)
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    make_pictures()
    out: dict[str, np.ndarray] = {}
    for name in CASES:
        reference(name, out)
    big = T.CenterCrop(224)(T.Resize(256)(opened(PHOTOS / "cat.jpg", "rgb")))
    out["imagenet224"] = np.asarray(big)  # (224, 224, 3) uint8: ToTensor's input, exactly
    out["gray_luminance"] = np.asarray(opened(OUT / "exif_rotated.jpg", "gray"))
    small = np.asarray(Image.open(PHOTOS / "rocket.jpg").resize((53, 35)), dtype=np.float32)
    pixels = small / 255  # (35, 53, 3) float32 in [0, 1]
    out["pixels_in"] = pixels
    t = torch.from_numpy(pixels).permute(2, 0, 1)  # (3, 35, 53)
    out["float_pixels"] = T.Resize((24, 31), antialias=True)(t).numpy()
    offsets_table(out)
    out["cases"] = np.array(
        json.dumps(
            [
                {"name": n, "file": f, "convention": c, "input_shape": list(s)}
                for n, (f, c, s) in CASES.items()
            ]
        )  # fmt: skip
    )
    buf = io.BytesIO()
    np.savez_compressed(buf, **out)
    save(OUT / "reference.npz", buf.getvalue())
    print(f"{len(CASES)} cases, {len(buf.getvalue()):,} bytes in {OUT / 'reference.npz'}")


if __name__ == "__main__":
    main()
