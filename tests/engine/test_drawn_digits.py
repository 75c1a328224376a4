"""The shipped model on digits drawn the way the browser draws them, not only MNIST's own."""

from pathlib import Path

import numpy as np

from engine.model import Model
from engine.preprocess import preprocess
from tests.drawn import variations

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_model_reads_browser_style_drawings():
    model = Model.load(ROOT / "models" / "mnist-cnn.npz")
    digits, drawings = zip(*variations(seed=0, per_digit=20), strict=True)
    x = np.stack([preprocess(d) for d in drawings])[:, None]  # (200, 28, 28) → (200, 1, 28, 28)
    predicted = model.predict_proba(x).argmax(axis=1)
    wrong = [(d, int(p)) for d, p in zip(digits, predicted, strict=True) if d != p]
    accuracy = 1 - len(wrong) / len(digits)
    assert accuracy >= 0.95, f"{accuracy:.1%} of 200 drawings; (drawn, predicted): {wrong}"
    per_digit = np.bincount([d for d, _ in wrong], minlength=10)
    assert per_digit.max() <= 3, f"misread drawings per digit: {per_digit.tolist()}"
