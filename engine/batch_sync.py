"""Synchronised batch norm: the replicas of a split training step (:mod:`engine.parallel`)
normalise by the whole batch's statistics, not each by its own share's.

Each replica's batch-norm layer sits at a :class:`Seat` of one :class:`SyncGroup` per step. In
a training forward every seat brings its part's per-channel moments (count, mean, centred sum
of squares); when all have arrived, one thread adds them up *in seat order* — so the result
does not depend on which thread came first — and every seat normalises by the total. The
backward meets the same way with each part's ``Σ dout`` and ``Σ dout * x_hat``.

Scales: each replica's loss is the mean over its own ``n_k`` examples, so its gradients are
the serial step's divided by its share ``w_k = n_k / N``. The group adds ``Σ w_k S_k`` (the
serial step's sums) and hands each seat the total divided by its own ``w_k``; the replica's
``dgamma``, ``dbeta`` stay its own part's, which the split step weights by ``w_k`` like every
other gradient. The running statistics are updated once, by seat 0, with the whole batch's.

Every replica meets at every batch-norm layer in the same order, so one barrier serves them
all, round after round; each round checks that all seats brought the same layer. A replica that
fails aborts the group (:meth:`SyncGroup.abort`), and a seat that waits longer than
``timeout`` breaks it: the others get :class:`threading.BrokenBarrierError` instead of waiting
for ever.
"""

from __future__ import annotations

import threading

import numpy as np

from engine.ops.batchnorm import GradSums, Moments, combine_moments

TIMEOUT = 300.0  # seconds a seat waits for the slowest replica before breaking the group


class SyncGroup:
    """One training step's meeting point for ``len(shares)`` replicas; ``shares[k]`` is
    replica ``k``'s fraction of the batch (they sum to 1)."""

    def __init__(self, shares: list[float], timeout: float = TIMEOUT):
        self.shares = list(shares)
        self._slots: list[tuple | None] = [None] * len(shares)
        self._total = None
        self._barrier = threading.Barrier(len(shares), action=self._combine, timeout=timeout)

    def seat(self, k: int) -> Seat:
        return Seat(self, k)

    def abort(self) -> None:
        """Break the group: every seat waiting now or later raises BrokenBarrierError."""
        self._barrier.abort()

    def meet(self, k: int, what: tuple[str, str], part):
        """Seat ``k``'s ``part`` for round ``what`` = (layer name, "moments" or "grads") →
        the total over every seat, once all have brought theirs."""
        self._slots[k] = (what, part)
        self._barrier.wait()
        return self._total  # read before this seat can arrive at the next round

    def _combine(self) -> None:
        """Run by one thread once every seat has arrived: the total, in seat order."""
        rounds = {what for what, _ in self._slots}
        if len(rounds) != 1:
            raise RuntimeError(f"replicas out of step at their batch norms: {sorted(rounds)}")
        ((_, kind),) = rounds
        parts = [part for _, part in self._slots]
        if kind == "moments":
            self._total = combine_moments(parts)
        else:  # the serial step's Σ dout and Σ dout * x_hat: each part's weighted by its share
            self._total = tuple(
                sum(w * p[i] for w, p in zip(self.shares, parts, strict=True)) for i in range(2)
            )
        self._slots = [None] * len(self.shares)


class Seat:
    """Replica ``k``'s place in a :class:`SyncGroup`, handed to its batch-norm layers."""

    def __init__(self, group: SyncGroup, k: int):
        self.group, self.k = group, k
        self.lead = k == 0  # updates the running statistics, once per layer and step

    def moments(self, name: str, part: Moments) -> Moments:
        """This part's (m, mean, M2) per channel → the whole batch's."""
        return self.group.meet(self.k, (name, "moments"), part)

    def grad_sums(self, name: str, sums: GradSums) -> GradSums:
        """This part's ``(Σ dout, Σ dout * x_hat)`` → the whole batch's, in this part's scale."""
        total = self.group.meet(self.k, (name, "grads"), sums)
        w = self.group.shares[self.k]
        return tuple(np.asarray(t) / w for t in total)
