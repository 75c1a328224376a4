"""A data-parallel training step: the batch split across threads (or helper processes), one
BLAS thread each.

For models without batch norm the parts other than the first run in helper *processes*
(:mod:`engine.split_process`): the threads below lose ~20 % to the GIL on 2 cores, processes
do not. Batch-norm models keep the threads, whose replicas meet at every batch norm.

NumPy's elementwise passes (ReLU, pooling, im2col copies, col2im adds, the optimiser's
arithmetic) run on one core, while BLAS spreads only the matrix products over the others: on
2 cores about half of a training step leaves a core idle (or spinning in OpenBLAS's wait loop).
Here each of ``workers`` threads runs the whole forward and backward pass of its share of the
batch on a *replica* of the model — layers that share the model's weight arrays but own their
caches and gradients — with BLAS held to one thread, so every pass of the step uses every
core. NumPy releases the GIL inside its loops and BLAS calls, so the threads really do run at
once.

The result is the serial step's, up to float rounding: each replica's loss is the mean over
its ``n_k`` examples, so the batch's gradient is ``sum_k (n_k / N) * grad_k`` (and likewise the
loss); the logits are concatenated. Batch norm couples the examples through the batch's
statistics: its replicas meet at every layer and normalise by the whole batch's
(:mod:`engine.batch_sync`). Dropout stays serial (its masks come from one seeded generator,
whose order threads would scramble), as does any other layer with buffers
(:func:`workers_for`).

Shapes: ``x: (N, *input_shape)``, ``y: (N,)`` → loss (float), logits ``(N, K)``.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
from threadpoolctl import ThreadpoolController

from engine import persist, split_process
from engine.batch_sync import SyncGroup

if TYPE_CHECKING:
    from engine.model import Model

MIN_PER_WORKER = 32  # below this many examples per thread the hand-offs cost more than they win
UNSPLITTABLE = frozenset({"dropout"})  # layers whose training step couples the batch's examples
SYNCED = frozenset({"batchnorm1d", "batchnorm2d"})  # buffers, but their replicas meet: batch_sync

_lock = threading.Lock()
_controller: ThreadpoolController | None = None
_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def _blas() -> ThreadpoolController:
    """threadpoolctl's handle on the loaded BLAS libraries, made once (it scans the process)."""
    global _controller
    with _lock:
        if _controller is None:
            _controller = ThreadpoolController().select(user_api="blas")
        return _controller


def blas_threads() -> int:
    """The threads BLAS is allowed now (its most permissive library's count; 1 if none)."""
    return max((lib["num_threads"] for lib in _blas().info()), default=1)


def splittable(model: Model) -> bool:
    """Whether a training step of ``model`` treats every example independently."""
    return all(
        ly.type not in UNSPLITTABLE and (not ly.buffers or ly.type in SYNCED) for ly in model.layers
    )


def workers_for(model: Model, batch: int) -> int:
    """How many threads a training step of ``batch`` examples should use: as many as BLAS
    was given, each with at least :data:`MIN_PER_WORKER` examples; 1 if not splittable."""
    if not splittable(model):
        return 1
    return max(1, min(blas_threads(), os.cpu_count() or 1, batch // MIN_PER_WORKER))


def _executor(workers: int) -> ThreadPoolExecutor:
    """The process's pool of helper threads, at least ``workers`` of them (it only grows)."""
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < workers:
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="train-split")
            _pool_size = workers
        return _pool


def replicas(model: Model, workers: int) -> list[Model]:
    """``workers`` shallow copies of ``model`` (shared weights, own caches and gradients),
    kept on the model and made again if its layers or their weight dicts were replaced."""
    kept = getattr(model, "_replicas", [])
    fresh = len(kept) >= workers and all(
        copy.params is layer.params
        for rep in kept
        for copy, layer in zip(rep.layers, model.layers, strict=True)
    )
    if not fresh:
        kept = [persist.shallow_copy(model) for _ in range(workers)]
        model._replicas = kept
    return kept[:workers]


def split_train_step(
    model: Model, x: np.ndarray, y: np.ndarray, workers: int, label_smoothing: float = 0.0
):
    """``model.train_step(x, y)`` on ``workers`` threads; fills ``model``'s layers' grads.

    x: (N, *input_shape), y: (N,) → (mean cross-entropy, logits (N, K)).
    """
    parts = np.array_split(np.arange(len(x)), workers)  # contiguous index ranges
    bounds = [(int(p[0]), int(p[-1]) + 1) for p in parts]
    share = [(hi - lo) / len(x) for lo, hi in bounds]
    if split_process.wanted(model, x, y):
        rows = max(hi - lo for lo, hi in bounds)
        helpers = split_process.helpers_for(model, workers - 1, rows)
        if helpers is not None:
            return _process_step(model, helpers, x, y, bounds, share, label_smoothing)
    reps = replicas(model, workers)
    group = SyncGroup(share)

    def run(k: int):
        lo, hi = bounds[k]
        try:
            return reps[k].train_step(
                x[lo:hi], y[lo:hi], workers=1, label_smoothing=label_smoothing
            )
        except BaseException:
            group.abort()  # the others stop at their next batch norm instead of waiting
            raise

    _seat(reps, group)
    try:
        with _blas().limit(limits=1):
            pool = _executor(workers - 1)
            results = _gather([pool.submit(run, k) for k in range(1, workers)], run)
    finally:
        _seat(reps, None)
    part_grads = [[rep.layers[i].grads for rep in reps] for i in range(len(model.layers))]
    return _combined(model, share, part_grads, results)


def _process_step(model, helpers, x, y, bounds, share, label_smoothing: float):
    """The split step with parts 1.. in helper processes (:mod:`engine.split_process`)."""
    lo, hi = bounds[0]

    def first():
        return model.train_step(x[lo:hi], y[lo:hi], workers=1, label_smoothing=label_smoothing)

    with _blas().limit(limits=1):
        results = helpers.step(model, x, y, bounds, label_smoothing, first)
    part_grads = [
        [layer.grads]
        + [
            {key: helpers.grads(k, f"{layer.name}.{key}") for key in layer.grads}
            for k in range(helpers.count)
        ]
        for layer in model.layers
    ]
    return _combined(model, share, part_grads, results)


def _combined(model, share, part_grads, results):
    """Every part's gradients, losses and logits as the whole batch's: ``model``'s layers get
    the ``share``-weighted sum of ``part_grads[i]`` (one grads dict per part), → (mean loss,
    logits (N, K))."""
    for layer, grads in zip(model.layers, part_grads, strict=True):
        layer.grads = {
            key: _weighted(share, [g[key] for g in grads], like=layer.params[key])
            for key in grads[0]
        }
    loss = float(sum(s * loss_k for s, (loss_k, _) in zip(share, results, strict=True)))
    logits = np.concatenate([logits_k for _, logits_k in results])  # (N, K)
    return loss, logits


def _seat(reps: list[Model], group: SyncGroup | None) -> None:
    """Give each replica's batch norms their seat in ``group`` (None: take them away)."""
    for k, rep in enumerate(reps):
        for layer in rep.layers:
            if layer.type in SYNCED:
                layer.sync = group and group.seat(k)


def _gather(futures: list, run) -> list:
    """``[run(0), *the futures' results]``, once every thread has finished. If any failed, the
    first failure that is not merely another thread's broken meeting is raised."""
    try:
        results, error = [run(0)], None
    except BaseException as e:
        results, error = [], e
    failed = [e for e in (error, *(f.exception() for f in futures)) if e is not None]
    causes = [e for e in failed if not isinstance(e, threading.BrokenBarrierError)]
    if failed:
        raise (causes or failed)[0]
    return results + [f.result() for f in futures]


def _weighted(share: list[float], grads: list[np.ndarray], like: np.ndarray) -> np.ndarray:
    """``sum_k share[k] * grads[k]`` in ``like``'s dtype: the mean gradient over the batch."""
    total = grads[0] * like.dtype.type(share[0])
    for s, g in zip(share[1:], grads[1:], strict=True):
        total += g * like.dtype.type(s)
    return total
