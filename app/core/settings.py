"""One settings object, read from ``CNN_EXPLORER_*`` environment variables.

Every limit here is part of the API contract: ``GET /api/limits`` reports them, and every
request that would exceed one is refused with a 4xx naming it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

TRAINING_MODES = ("auto", "process", "thread", "none")
REPO_ROOT = Path(__file__).resolve().parents[2]
PREFIX = "CNN_EXPLORER_"


@dataclass(frozen=True)
class Settings:
    """Server address, where models and data live, and the input limits."""

    host: str = "127.0.0.1"
    port: int = 8000
    models_dir: Path = REPO_ROOT / "models"
    data_dir: Path = REPO_ROOT / "data"
    static_dir: Path = REPO_ROOT / "static"
    default_model: str = "mnist-cnn"
    log_level: str = "info"
    workers: int = 1  # uvicorn worker processes (``python -m app``); each loads the models
    request_threads: int = 4  # threads per worker running requests (their work holds the GIL)
    cors_origins: str = ""  # comma-separated origins allowed cross-origin requests; "" = none
    # Who may write (app.core.access): with a token, writes need ``Authorization: Bearer``.
    write_token: str = ""
    read_only: bool = False  # refuse every write (import, rename, delete, train…)
    forwarded_allow_ips: str = ""  # proxies trusted for X-Forwarded-For (uvicorn's option)

    # Requests: whole body, and an ``image`` (decoded bytes, then pixels per side).
    max_request_bytes: int = 8 * 1024 * 1024
    max_image_bytes: int = 2 * 1024 * 1024
    max_image_side: int = 2048
    # ``pixels``: a 2-D list of ink values, each side in [min_pixels_side, max_pixels_side].
    min_pixels_side: int = 8
    max_pixels_side: int = 512
    # Convolution anatomy (weight matrices, the playground).
    max_conv_input_side: int = 64
    max_channels: int = 64
    max_kernel_side: int = 11
    # rows * cols of M: only multiplied, never allocated (the JSON is sparse, the PNG has its own
    # side limit), so a real layer of 16 channels at 28×28 (784 × 12,544) is within it
    max_weight_matrix_cells: int = 16_000_000
    max_weight_matrix_entries: int = 200_000  # non-zeros listed in the JSON
    max_weight_matrix_png_side: int = 4096  # rows or cols drawn, one pixel per cell at least
    # Explanations (``/api/models/{id}/explain``), the kernel editor and colour images.
    cache_dir: Path = REPO_ROOT / "runs" / "cache"  # per-model tables (top-activating digits)
    max_ig_steps: int = 256  # integrated gradients: path points per request
    max_occlusion_patches: int = 1024  # occluded copies classified per request
    max_top_k: int = 16  # top-activating test digits per filter
    max_maximise_steps: int = 256  # activation maximisation: gradient-ascent steps
    max_color_side: int = 128  # a colour image is shrunk to fit this before filtering
    # The cost of one request, estimated before it starts (``engine.cost``: multiply-add
    # equivalents of the model passes it needs), and how many units one maximise request runs.
    max_request_megamacs: int = 12_000  # about 1 s of one core (bench/bench_limits.py)
    max_maximise_units: int = 64  # filters/units per maximise request: ask in pages
    max_model_megamacs: int = 200  # one image through a served, trained or imported model
    max_train_step_megamacs: int = 60_000  # one training step: batch × forward + backward
    # Work that is not a request's own: whole-test-set tables (evaluation, top-activating
    # digits) are computed once per model in the background; a request waits this long for one.
    table_wait_seconds: int = 20
    max_cache_bytes: int = 64 * 1024 * 1024  # each in-memory cache of results
    # Heavy requests (explanations that run the model many times, playground, imports) at once
    # in the whole server (every worker); past it a 503 with Retry-After: predictions go on.
    max_heavy_requests: int = 1
    max_heavy_requests_per_client: int = 1  # one client's share of them; past it a 429
    heavy_wait_seconds: int = 1  # a heavy request waits this long for a slot, then 503
    heavy_nice: int = 10  # the heavy threads' CPU priority (Linux nice, 0..19): below requests'
    graceful_shutdown_seconds: int = 5  # SIGTERM: in-flight requests get this long
    blas_threads: int = 1  # BLAS threads per process: concurrency comes from request threads
    max_conv_padding: int = 11  # /api/conv padding per side
    max_conv_terms: int = 60_000  # /api/conv steps: outputs × kernel weights written out
    max_pool_positions: int = 100_000  # /api/pool steps: outputs × window positions
    # Training from the browser (``/api/train``) and importing weights.
    jobs_dir: Path | None = None  # job records and checkpoints; None: <models_dir>/.jobs
    queue_url: str = ""  # the training queue: "" = SQLite in jobs_dir; redis://host:port/db
    training_mode: str = (
        "auto"  # who runs the queue's consumer: "auto", "process", "thread", "none"
    )
    max_running_jobs: int = 1  # jobs training at once (the consumer's workers); others wait
    max_queued_jobs: int = 8
    max_jobs_per_client: int = 3  # one client's queued and running jobs; past it a 429
    kept_job_event_logs: int = 20  # finished jobs whose events stay stored; older ones are pruned
    max_train_epochs: int = 50
    max_train_batch_size: int = 1024
    max_train_images: int = 60_000  # the request's ``limit``
    max_train_layers: int = 32
    max_train_params: int = 2_000_000
    max_dense_features: int = 4096
    max_train_step_megabytes: int = 1024  # estimated activations + im2col of one batch
    max_import_bytes: int = 6 * 1024 * 1024  # an uploaded .npz, or .onnx + its external data
    sse_heartbeat_seconds: int = 15

    def __post_init__(self) -> None:
        if self.training_mode not in TRAINING_MODES:
            raise ValueError(
                "CNN_EXPLORER_TRAINING_MODE must be 'auto', 'process', 'thread' or 'none', "
                f"got {self.training_mode!r}"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults overridden by ``CNN_EXPLORER_<FIELD>`` (e.g. ``CNN_EXPLORER_PORT=8080``).

        Raises ``ValueError`` naming the variable when a value does not parse or is out of range.
        """
        environ = os.environ if environ is None else environ
        values = {}
        for field in fields(cls):
            name = PREFIX + field.name.upper()
            raw = environ.get(name)
            if raw is None or raw == "":
                continue
            kind = type(field.default)
            if kind is bool:
                if raw.lower() not in ("1", "true", "yes", "0", "false", "no"):
                    raise ValueError(f"{name} must be 1 or 0 (true or false), got {raw!r}")
                values[field.name] = raw.lower() in ("1", "true", "yes")
            elif kind is int:
                try:
                    values[field.name] = int(raw)
                except ValueError:
                    raise ValueError(f"{name} must be an integer, got {raw!r}") from None
                if values[field.name] < 0 or (values[field.name] == 0 and field.name != "port"):
                    raise ValueError(f"{name} must be positive, got {raw!r}")
            elif issubclass(kind, Path) or field.name.endswith("_dir"):
                values[field.name] = Path(raw).expanduser()
            else:
                values[field.name] = raw
        return cls(**values)

    @property
    def cors_origin_list(self) -> list[str]:
        """``cors_origins`` as a list (``"*"`` allows any origin)."""
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    def limits(self) -> dict[str, int]:
        """Every ``max_*`` / ``min_*`` limit by name (what ``GET /api/limits`` returns)."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name.startswith(("max_", "min_"))
        }
