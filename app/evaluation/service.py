"""A model scored on its data set's test split: accuracy, the confusion matrix, every mistake.
The built-in data sets' test sets, or an uploaded data set's test split.

Computed once per model (a few seconds for the shipped model on 10,000 digits), in the
background (``app.datasets.tables``), and kept in memory; a model replaced under the same id is
scored again. Two requests for the same model at once compute it once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from fastapi import HTTPException

from app.core.memo import token
from app.core.registry import LoadedModel
from app.core.settings import Settings
from app.datasets import store
from app.datasets.tables import Tables
from app.datasets.testsets import test_set, uploaded_test_set
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

    def test_set(self, dataset: str, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
        """The test set, read once per process (``app.datasets.testsets``, shared with the gallery
        and the explanations): not installed → 404 saying how to get it, unreadable → 503; an
        uploaded data set's test split (404 when it is gone)."""
        if dataset in SCORED:
            return test_set(settings.data_dir, dataset, 404, "the {} test set is not available")
        return uploaded_test_set(settings, dataset)

    def get(self, entry: LoadedModel, settings: Settings) -> tuple[Evaluation, bool]:
        """The model's evaluation and whether it came from the cache."""
        key = ("evaluation", token(entry.model), str(settings.data_dir))
        return self.tables.get(
            key, lambda: self._compute(entry, settings), f"evaluation of {entry.id!r}"
        )

    def _compute(self, entry: LoadedModel, settings: Settings) -> Evaluation:
        dataset = str(entry.card.get("dataset") or "mnist")
        classes, shape = scored(entry.id, dataset, settings)
        model = entry.model
        if len(model.classes) != len(classes) or tuple(model.input_shape) != shape:
            raise HTTPException(
                422,
                f"model_id: {entry.id!r} takes {list(model.input_shape)} and has "
                f"{len(model.classes)} outputs; the {dataset} test set needs {list(shape)} "
                f"and {len(classes)}",
            )
        images, labels = self.test_set(dataset, settings)
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


def scored(model_id: str, dataset: str, settings: Settings) -> tuple[list[str], tuple[int, ...]]:
    """The classes and image shape (C, H, W) of the test set ``dataset``: a built-in one or an
    uploaded one; 422 for a data set that is neither (or an upload that is gone)."""
    if dataset in SCORED:
        return SCORED[dataset]
    try:
        info = store.info(settings, dataset)
    except store.UnknownDataset as e:
        raise HTTPException(
            422,
            f"model_id: {model_id!r} was trained on {dataset!r}, which is not here: {e.args[0]}",
        ) from None
    return list(info["classes"]), tuple(info["image_shape"])
