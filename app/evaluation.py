"""A model scored on its data set's test split: accuracy, the confusion matrix, every mistake.

Computed once per model (a few seconds for the shipped model on 10,000 digits), in the
background (``app.tables``), and kept in memory; a model replaced under the same id is scored
again. Two requests for the same model at once compute it once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.memo import token
from app.registry import LoadedModel
from app.tables import Tables
from engine.convention import model_convention, to_network
from engine.data import CLASSES, NAMES, load_dataset
from engine.model import Sequential
from engine.train import to_input

BATCH = 500
CONFIDENT_MISTAKES = 24


class EvaluationUnavailable(Exception):
    """The model cannot be scored here; ``status`` and the message say why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


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


def score(model: Sequential, images: np.ndarray, labels: np.ndarray, progress=None) -> tuple:
    """``(predictions, confidence, loss)`` of ``model`` on uint8 images (N, 28, 28).

    ``progress`` is called before each batch; it may raise to stop the work.
    """
    y = labels.astype(np.int64)
    convention = model_convention(model)  # e.g. Normalize(0.1307, 0.3081) for an import
    preds, confs, losses = [], [], []
    for i in range(0, len(images), BATCH):
        if progress is not None:
            progress()
        x = to_network(to_input(images[i : i + BATCH]), convention)
        probs = model.predict_proba(x)  # (n, K)
        rows = np.arange(len(probs))
        p = probs.argmax(axis=1)
        preds.append(p)
        confs.append(probs[rows, p])
        losses.append(-np.log(np.clip(probs[rows, y[i : i + BATCH]], 1e-12, None)))
    return np.concatenate(preds), np.concatenate(confs), float(np.concatenate(losses).mean())


class EvaluationCache:
    """Evaluations, computed in the background by ``app.tables.Tables`` (one model at a time,
    within its memory budget) and keyed by the model object (a model replaced under the same
    id is scored again); and the test sets they use."""

    def __init__(self, tables: Tables):
        self.tables = tables
        self._lock = threading.Lock()
        self._test_sets: dict[tuple[str, Path], tuple[np.ndarray, np.ndarray]] = {}

    def test_set(self, dataset: str, data_dir: Path) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            key = (dataset, Path(data_dir))
            if key not in self._test_sets:
                try:
                    self._test_sets[key] = load_dataset(dataset, "test", data_dir)
                except FileNotFoundError as e:  # not installed here (a 404 saying how to)
                    raise EvaluationUnavailable(
                        404, f"the {dataset} test set is not available: {e}"
                    ) from None
                except ValueError as e:
                    raise EvaluationUnavailable(
                        503, f"the {dataset} test set is unreadable: {e}"
                    ) from None
            return self._test_sets[key]

    def get(self, entry: LoadedModel, data_dir: Path) -> tuple[Evaluation, bool]:
        """The model's evaluation and whether it came from the cache."""
        key = ("evaluation", token(entry.model), str(data_dir))
        return self.tables.get(
            key, lambda: self._compute(entry, data_dir), f"evaluation of {entry.id!r}"
        )

    def _compute(self, entry: LoadedModel, data_dir: Path) -> Evaluation:
        dataset = str(entry.card.get("dataset") or "mnist")
        if dataset not in NAMES:
            raise EvaluationUnavailable(
                422,
                f"model_id: {entry.id!r} was trained on {dataset!r}; only "
                f"{', '.join(NAMES)} test sets can be scored here",
            )
        classes = CLASSES[dataset]
        model = entry.model
        if len(model.classes) != len(classes) or tuple(model.input_shape) != (1, 28, 28):
            raise EvaluationUnavailable(
                422,
                f"model_id: {entry.id!r} takes {list(model.input_shape)} and has "
                f"{len(model.classes)} outputs; the {dataset} test set needs [1, 28, 28] "
                f"and {len(classes)}",
            )
        images, labels = self.test_set(dataset, data_dir)
        t0 = time.perf_counter()
        predictions, confidence, loss = score(model, images, labels, self.tables.progress)
        return Evaluation(
            model_id=entry.id,
            dataset=dataset,
            classes=list(classes),
            targets=labels.astype(np.int64),
            predictions=predictions,
            confidence=confidence,
            loss=loss,
            seconds=time.perf_counter() - t0,
        )
