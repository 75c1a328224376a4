"""The split training step with helper *processes*: each helper trains its part of the batch in
a process of its own (:mod:`engine.split_helper`), so no two parts share a GIL.

Threads (:mod:`engine.parallel`) run the parts at once only inside NumPy's loops and BLAS
calls; between them each thread needs the GIL. On the 2-core VM of ``bench/README.md`` the
``mnist-cnn`` step's half batch took 18.5 ms alone, 23.6 ms each when two threads ran at once,
and 18.5 / 19.1 ms when two processes did: the loss was the GIL, not memory.

The processes share one file mapped into both (in ``/dev/shm`` where there is one): the
weights (the parent copies them in before every step — the optimiser changes them in place),
and per helper its examples, labels, gradients and logits. A step writes each helper's part,
sends it a line, trains the first part itself, then reads each helper's answer (within
:data:`STEP_TIMEOUT`) and combines the gradients as the threads' are combined. A helper that
fails raises its error here; one that dies or times out is stopped and the error names it.

Used for models whose examples train independently and that have no buffers (no batch norm:
its replicas meet at every layer, which threads do cheaply), with float32 inputs and weights.
``CNN_ENGINE_SPLIT=threads`` turns it off.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import logging
import os
import select
import subprocess
import sys
import tempfile
import time
import weakref
from pathlib import Path

import numpy as np

from engine import split_helper

STEP_TIMEOUT = 300.0  # seconds a helper may take for one step (or to start) before it is stopped
START_TIMEOUT = 120.0
ENV_SWITCH = "CNN_ENGINE_SPLIT"
ROOT = Path(__file__).resolve().parents[1]  # the directory holding the engine package
log = logging.getLogger(__name__)


def wanted(model, x: np.ndarray, y: np.ndarray) -> bool:
    """Whether a split step of ``model`` on ``x``, ``y`` should use helper processes."""
    if os.environ.get(ENV_SWITCH, "").strip().lower() == "threads":
        return False
    if getattr(model, "_helpers_failed", False) or x.dtype != np.float32:
        return False
    if tuple(x.shape[1:]) != model.input_shape or not np.issubdtype(y.dtype, np.integer):
        return False  # the step's own checks say what is wrong
    return all(not ly.buffers for ly in model.layers) and all(
        p.dtype == np.float32 for p in model.params().values()
    )


def _layout(model, helpers: int, rows: int) -> tuple[dict, int]:
    """``({name: [offset, shape, dtype]}, bytes)``: the weights once, then each helper's
    gradients, ``rows`` examples, labels and logits; every array 64-byte aligned."""
    layout, offset = {}, 0

    def place(name: str, shape, dtype) -> None:
        nonlocal offset
        layout[name] = [offset, [int(s) for s in shape], np.dtype(dtype).str]
        offset += -(-int(np.prod(shape)) * np.dtype(dtype).itemsize // 64) * 64

    params = model.params()
    for key, p in params.items():
        place(f"param:{key}", p.shape, p.dtype)
    n_logits = int(np.prod(model.shapes[model.logits_stop]))
    for k in range(helpers):
        for key, p in params.items():
            place(f"{k}/grad:{key}", p.shape, p.dtype)
        place(f"{k}/x", (rows, *model.input_shape), np.float32)
        place(f"{k}/y", (rows,), np.int64)
        place(f"{k}/logits", (rows, n_logits), np.float32)
    return layout, offset


def _shared_file(size: int) -> str:
    """A new file of ``size`` bytes with its blocks reserved, in ``/dev/shm`` when there is one
    with room, else in the temporary directory: a mapped file on a full tmpfs would kill the
    process (SIGBUS) at the first write instead of failing here."""
    shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    error: OSError | None = None
    for directory in (shm, None):
        fd, path = tempfile.mkstemp(prefix="cnn-explorer-split-", dir=directory)
        try:
            if hasattr(os, "posix_fallocate"):
                os.posix_fallocate(fd, 0, size)
            else:
                os.ftruncate(fd, size)
            return path
        except OSError as e:
            error = e
            os.unlink(path)
        finally:
            os.close(fd)
    raise OSError(f"no room for {size:,} bytes of shared training data ({error})")


class Helpers:
    """``count`` helper processes for ``model``'s training steps of up to ``rows`` examples
    per helper. :meth:`step` trains; :meth:`close` stops them (also when the model goes)."""

    def __init__(self, model, count: int, rows: int):
        self.count, self.rows = count, rows
        self.signature = signature(model)
        layout, size = _layout(model, count, rows)
        path = _shared_file(size)
        self.procs: list[subprocess.Popen] = []
        try:
            self.shared = split_helper.views(path, layout)  # the helpers map it the same way
            arch = model.architecture()
            for k in range(count):
                mine = {
                    n.split("/", 1)[-1]: v
                    for n, v in layout.items()
                    if "/" not in n or n.startswith(f"{k}/")
                }
                self.procs.append(_start({"architecture": arch, "path": path, "layout": mine}))
            for proc in self.procs:
                _answer(proc, START_TIMEOUT, "start")
        except BaseException:
            self.close()
            raise
        finally:
            os.unlink(path)  # mapped by every process now (or failed): nothing left on disk
        self._finalizer = weakref.finalize(self, _stop, list(self.procs))

    def step(self, model, x, y, bounds: list[tuple[int, int]], label_smoothing: float, run_first):
        """Send parts 1.. of ``bounds`` to the helpers, run ``run_first()`` (part 0) here, then
        collect. → [part 0's result, (loss_k, logits_k) per helper]; each helper's gradients
        are :meth:`grads`."""
        for key, p in model.params().items():
            self.shared[f"param:{key}"][...] = p
        for k, (lo, hi) in enumerate(bounds[1:]):
            self.shared[f"{k}/x"][: hi - lo] = x[lo:hi]
            self.shared[f"{k}/y"][: hi - lo] = y[lo:hi]
        for proc, (lo, hi) in zip(self.procs, bounds[1:], strict=True):
            _send(proc, {"n": hi - lo, "label_smoothing": float(label_smoothing)})
        try:
            first = run_first()
        finally:  # every helper answers before anything is raised: the next step starts clean
            answers = [_answer(proc, STEP_TIMEOUT, "step") for proc in self.procs]
        results = [first]
        for k, (answer, (lo, hi)) in enumerate(zip(answers, bounds[1:], strict=True)):
            if "error" in answer:
                raise _error_type(answer.get("type"))(f"training helper process: {answer['error']}")
            results.append((answer["loss"], self.shared[f"{k}/logits"][: hi - lo].copy()))
        return results

    def __reduce__(self):
        """Copied or pickled (``copy.deepcopy(model)``), helpers become None: the copy starts
        its own when it trains."""
        return (type(None), ())

    def grads(self, k: int, key: str) -> np.ndarray:
        return self.shared[f"{k}/grad:{key}"]

    def close(self) -> None:
        _stop(self.procs)


def _error_type(name) -> type[Exception]:
    """The built-in exception a helper's step raised (as the threads' step would raise it), or
    RuntimeError for any other."""
    kind = getattr(builtins, str(name), None)
    ok = isinstance(kind, type) and issubclass(kind, Exception) and kind is not SystemExit
    return kind if ok else RuntimeError


def signature(model) -> tuple:
    """What a helper's model is built from: the layers' specs and the weights' shapes."""
    shapes = tuple((k, p.shape, p.dtype.str) for k, p in model.params().items())
    return json.dumps(model.specs(), sort_keys=True), model.input_shape, shapes


def helpers_for(model, count: int, rows: int) -> Helpers | None:
    """The model's helpers (started, or started again if the model or the batch outgrew
    them); None if they cannot start here (then threads do the step, from now on)."""
    kept: Helpers | None = getattr(model, "_helpers", None)
    fits = kept is not None and kept.count == count and kept.rows >= rows
    if fits and kept.signature == signature(model) and all(p.poll() is None for p in kept.procs):
        return kept
    if kept is not None:
        kept.close()
        model._helpers = None
    try:
        model._helpers = Helpers(model, count, rows)
    except (OSError, RuntimeError) as e:
        log.warning("training helper processes unavailable (%s); threads split the step", e)
        model._helpers_failed = True
        return None
    return model._helpers


def _start(first: dict) -> subprocess.Popen:
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"  # one BLAS thread per part, as the threads' split
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    errors = tempfile.TemporaryFile()  # noqa: SIM115  # closed by _stop; the helper's stderr, for the message if it dies
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine.split_helper"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errors,
        env=env,
        cwd=str(ROOT),
    )
    proc.errors = errors  # type: ignore[attr-defined]
    proc.unread = b""  # type: ignore[attr-defined]  # bytes read past the last answer's line
    _send(proc, first)
    return proc


def _send(proc: subprocess.Popen, message: dict) -> None:
    try:
        proc.stdin.write((json.dumps(message) + "\n").encode())
        proc.stdin.flush()
    except OSError as e:
        raise RuntimeError(f"training helper process {proc.pid} is gone ({e})") from None


def _answer(proc: subprocess.Popen, timeout: float, what: str) -> dict:
    """The helper's next answer line, within ``timeout`` s; RuntimeError if it dies or is late."""
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    while b"\n" not in proc.unread:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            proc.kill()
            raise RuntimeError(
                f"training helper process {proc.pid}: no answer to {what} in {timeout:.0f} s"
            )
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            proc.wait()
            raise RuntimeError(
                f"training helper process {proc.pid} exited (code {proc.returncode}) during "
                f"{what}: {_stderr_tail(proc)}"
            )
        proc.unread += chunk
    line, proc.unread = proc.unread.split(b"\n", 1)
    return json.loads(line)


def _stderr_tail(proc: subprocess.Popen) -> str:
    err = proc.errors
    try:
        err.seek(0)
        return err.read()[-800:].decode(errors="replace").strip() or "no message"
    except (OSError, ValueError):
        return "no message"


def _stop(procs: list[subprocess.Popen]) -> None:
    """Ask every helper to exit (an empty line), then kill any still running after 2 s."""
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.stdin.write(b"\n")
                proc.stdin.close()
    for proc in procs:
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.errors, proc.stdin):
            if stream is not None and not stream.closed:
                with contextlib.suppress(OSError):  # a dead helper's stdin, still buffered
                    stream.close()
