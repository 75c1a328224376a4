"""The flattened digit: the 28×28 input as its 784-vector, scrambled by one fixed pixel
permutation, and what that does to a dense network and to a CNN.

A dense layer sums ``W[i, k] · x[k]`` over every pixel ``k`` in no particular order, so
scrambling the pixels by ``perm`` (``x'[j] = x[perm[j]]``) and its weight columns the same way
(``W'[:, j] = W[:, perm[j]]``) changes nothing: ``W' x' = W x``. That permuted-weights twin
gives the dense net's outputs exactly, which is why a dense net trained on scrambled digits
learns as well as on real ones. A CNN's filters read neighbouring pixels with shared weights;
no rearrangement of its weights undoes a scramble, and on scrambled digits it is lost.
"""

from __future__ import annotations

import copy

import numpy as np

from engine.layers import Dense, Flatten
from engine.train import evaluate

PERMUTATION_SEED = 14


def permutation(n: int = 784, seed: int = PERMUTATION_SEED) -> np.ndarray:
    """The fixed pixel permutation ``(n,)`` int64 (the same for every request and model)."""
    return np.random.default_rng(seed).permutation(n)


def scramble(x: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """``x: (N, C, H, W)`` with each image's ``C*H*W`` values reordered: ``x'[j] = x[perm[j]]``."""
    N = x.shape[0]
    flat = x.reshape(N, -1)  # flat: (N, C*H*W), the order Flatten uses
    if flat.shape[1] != perm.size:
        raise ValueError(f"the permutation has {perm.size} entries, the input {flat.shape[1]}")
    return flat[:, perm].reshape(x.shape)


def first_dense(model) -> int | None:
    """Index of the model's first dense layer if only a flatten comes before it (each layer
    reading the one before, the first the network input), else None."""
    for i, layer in enumerate(model.layers):
        if list(model.inputs[i]) != [i - 1]:
            return None
        if isinstance(layer, Dense):
            return i
        if not isinstance(layer, Flatten):
            return None
    return None


def permuted_twin(model, perm: np.ndarray):
    """A copy of a flatten→dense model whose first weight matrix reads scrambled pixels:
    ``W'[:, j] = W[:, perm[j]]``, so ``twin(scramble(x)) == model(x)``.

    ``ValueError`` for a model that is not dense on the raw pixels (a CNN has no such twin).
    """
    i = first_dense(model)
    if i is None:
        raise ValueError(
            f"{model.name}: only a network whose first layer with weights is dense on the "
            "flattened pixels has a permuted twin; a conv layer's filters read neighbouring "
            "pixels, which a permutation separates"
        )
    twin = copy.deepcopy(model)
    w = twin.layers[i].params["weight"]  # w: (out, C*H*W)
    if w.shape[1] != perm.size:
        raise ValueError(f"{model.name}: {w.shape[1]} input features, permutation {perm.size}")
    twin.layers[i].params["weight"] = np.ascontiguousarray(w[:, perm])
    return twin


def permutation_test(model, x: np.ndarray, y: np.ndarray, perm: np.ndarray) -> dict:
    """Test accuracy of ``model`` on ``x: (N, C, H, W)``, ``y: (N,)`` as they are and
    scrambled; for a dense-on-pixels model also its permuted twin on the scrambled images and
    the largest difference of its probabilities from the model's on the originals."""
    xs = scramble(x, perm)
    plain = evaluate(model, x, y)
    scrambled = evaluate(model, xs, y)
    result = {
        "images": int(len(y)),
        "num_params": int(model.num_params),
        "accuracy": plain["accuracy"],
        "scrambled_accuracy": scrambled["accuracy"],
        "twin_accuracy": None,
        "twin_max_abs_diff": None,
        "twin_same_predictions": None,
    }
    if first_dense(model) is not None:
        twin = permuted_twin(model, perm)
        twinned = evaluate(twin, xs, y)
        diff = max(
            float(
                np.abs(
                    twin.predict_proba(xs[i : i + 500]) - model.predict_proba(x[i : i + 500])
                ).max()
            )
            for i in range(0, len(x), 500)
        )  # float32 rounding only: the twin adds the same products in another order
        result["twin_accuracy"] = twinned["accuracy"]
        result["twin_max_abs_diff"] = diff
        result["twin_same_predictions"] = int(
            (twinned["predictions"] == plain["predictions"]).sum()
        )
    return result
