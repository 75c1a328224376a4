"""A model scored on its data set's test split: accuracy, the confusion matrix, every mistake.

Computed once per model (a few seconds for the shipped model on 10,000 digits), in the
background (``app.datasets.tables``), and kept in memory; a model replaced under the same id is
scored again. Two requests for the same model at once compute it once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from fastapi import HTTPException

from app.core.memo import token
from app.core.registry import LoadedModel
from app.datasets.tables import Tables
from app.datasets.testsets import test_set
from engine import cifar10
from engine.convention import model_convention, to_network
from engine.data import CLASSES, NAMES
from engine.train import evaluate, to_input

CONFIDENT_MISTAKES = 24
# the test sets scored here: classes and image shape (C, H, W)
SCORED = {name: (CLASSES[name], (1, 28, 28)) for name in NAMES} | {
    cifar10.NAME: (cifar10.CLASSES, cifar10.SHAPE)
}


@dataclass(frozen=True)
class Evaluation:
    model_id: str
    dataset: str
    classes: list[str]
    targets: np.ndarray  # (N,) int64, the true classes
    predictions: np.ndarray  # (N,) int64
    confidence: np.ndarray  # (N,) float, the probability of the predicted class
    loss: float
    seconds: float

    @property
    def confusion(self) -> np.ndarray:
        """(K, K) counts: row = true class, column = predicted class."""
        K = len(self.classes)
        m = np.zeros((K, K), dtype=np.int64)
        np.add.at(m, (self.targets, self.predictions), 1)
        return m

    def example(self, i: int) -> dict:
        t, p = int(self.targets[i]), int(self.predictions[i])
        return {
            "index": int(i),
            "target": t,
            "label": self.classes[t],
            "predicted": p,
            "predicted_label": self.classes[p],
            "confidence": float(self.confidence[i]),
        }

    def cell(self, true_class: int, predicted_class: int) -> np.ndarray:
        """Indices of the test images of ``true_class`` predicted as ``predicted_class``."""
        mask = (self.targets == true_class) & (self.predictions == predicted_class)
        return np.flatnonzero(mask)

    def summary(self, max_listed: int) -> dict:
        confusion = self.confusion
        total = int(confusion.sum())
        correct = int(np.trace(confusion))
        per_class = []
        for k, label in enumerate(self.classes):
            n, predicted = int(confusion[k].sum()), int(confusion[:, k].sum())
            hits = int(confusion[k, k])
            per_class.append(
                {
                    "index": k,
                    "label": label,
                    "total": n,
                    "correct": hits,
                    "accuracy": hits / n if n else None,
                    "predicted": predicted,
                    "precision": hits / predicted if predicted else None,
                }
            )
        wrong = np.flatnonzero(self.targets != self.predictions)
        by_confidence = wrong[np.argsort(-self.confidence[wrong], kind="stable")]
        return {
            "model_id": self.model_id,
            "dataset": self.dataset,
            "classes": self.classes,
            "total": total,
            "correct": correct,
            "accuracy": correct / total if total else 0.0,
            "loss": self.loss,
            "seconds": self.seconds,
            "confusion": confusion.tolist(),
            "per_class": per_class,
            "misclassified_total": int(len(wrong)),
            "misclassified": [self.example(i) for i in wrong[:max_listed]],
            "confident_mistakes": [self.example(i) for i in by_confidence[:CONFIDENT_MISTAKES]],
        }


class EvaluationCache:
    """Evaluations, computed in the background by ``app.datasets.tables.Tables`` (one model at a
    time, within its memory budget) and keyed by the model object (a model replaced under the same
    id is scored again); and the test sets they use."""

    def __init__(self, tables: Tables):
        self.tables = tables

    def test_set(self, dataset: str, data_dir: Path) -> tuple[np.ndarray, np.ndarray]:
        """The test set, read once per process (``app.datasets.testsets``, shared with the gallery
        and the explanations): not installed → 404 saying how to get it, unreadable → 503."""
        return test_set(data_dir, dataset, 404, "the {} test set is not available")

    def get(self, entry: LoadedModel, data_dir: Path) -> tuple[Evaluation, bool]:
        """The model's evaluation and whether it came from the cache."""
        key = ("evaluation", token(entry.model), str(data_dir))
        return self.tables.get(
            key, lambda: self._compute(entry, data_dir), f"evaluation of {entry.id!r}"
        )

    def _compute(self, entry: LoadedModel, data_dir: Path) -> Evaluation:
        dataset = str(entry.card.get("dataset") or "mnist")
        if dataset not in SCORED:
            raise HTTPException(
                422,
                f"model_id: {entry.id!r} was trained on {dataset!r}; only "
                f"{', '.join(SCORED)} test sets can be scored here",
            )
        classes, shape = SCORED[dataset]
        model = entry.model
        if len(model.classes) != len(classes) or tuple(model.input_shape) != shape:
            raise HTTPException(
                422,
                f"model_id: {entry.id!r} takes {list(model.input_shape)} and has "
                f"{len(model.classes)} outputs; the {dataset} test set needs {list(shape)} "
                f"and {len(classes)}",
            )
        images, labels = self.test_set(dataset, data_dir)
        t0 = time.perf_counter()
        targets = labels.astype(np.int64)
        pictures = to_input(images) if images.ndim == 3 else cifar10.to_input(images)
        x = to_network(pictures, model_convention(model))  # e.g. an import's Normalize
        result = evaluate(model, x, targets, progress=self.tables.progress)  # the engine's
        return Evaluation(
            model_id=entry.id,
            dataset=dataset,
            classes=list(classes),
            targets=targets,
            predictions=result["predictions"],
            confidence=result["confidence"],
            loss=result["loss"],
            seconds=time.perf_counter() - t0,
        )
