"""One settings object, read from ``CNN_EXPLORER_*`` environment variables (pydantic-settings).

Every limit here is part of the API contract: ``GET /api/limits`` reports them, and every
request that would exceed one is refused with a 4xx naming it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.paths import REPO_ROOT, RESOURCES, in_checkout, user_dir

PREFIX = "CNN_EXPLORER_"

Positive = Annotated[int, Field(gt=0)]  # every count, size and limit
Dir = Annotated[Path, AfterValidator(Path.expanduser)]  # ``~/models`` works


class Settings(BaseSettings):
    """Server address, where models and data live, and the input limits.

    ``Settings()`` reads ``CNN_EXPLORER_<FIELD>`` (e.g. ``CNN_EXPLORER_PORT=8080``; an empty
    value keeps the default); keyword arguments win over the environment.
    """

    model_config = SettingsConfigDict(env_prefix=PREFIX, env_ignore_empty=True, frozen=True)

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0)] = 8000  # 0: any free port
    models_dir: Dir = RESOURCES / "models"
    data_dir: Dir = RESOURCES / "data"
    static_dir: Dir = RESOURCES / "static"
    default_model: str = "mnist-cnn"
    log_level: str = "info"
    workers: Positive = 1  # uvicorn worker processes (``python -m app``); each loads the models
    request_threads: Positive = 4  # threads per worker running requests (their work holds the GIL)
    cors_origins: str = ""  # comma-separated origins allowed cross-origin requests; "" = none
    frame_ancestors: str = ""  # CSP sources that may show the pages in a frame; "" = none
    # Who may write (app.core.access): with a token, writes need ``Authorization: Bearer``.
    write_token: str = ""
    read_only: bool = False  # refuse every write (import, rename, delete, train…)
    forwarded_allow_ips: str = ""  # proxies trusted for X-Forwarded-For (uvicorn's option)

    # Requests: whole body, and an ``image`` (decoded bytes, then pixels per side).
    max_request_bytes: Positive = 8 * 1024 * 1024
    max_image_bytes: Positive = 2 * 1024 * 1024
    max_image_side: Positive = 2048
    max_image_pixels: Positive = 16_777_216  # width × height of a decoded photo (4096²)
    # ``pixels``: a 2-D list of ink values, each side in [min_pixels_side, max_pixels_side].
    min_pixels_side: Positive = 8
    max_pixels_side: Positive = 512
    # Convolution anatomy (weight matrices, the playground).
    max_conv_input_side: Positive = 64
    max_channels: Positive = 64
    max_kernel_side: Positive = 11
    # rows * cols of M: only multiplied, never allocated (the JSON is sparse, the PNG has its own
    # side limit), so a real layer of 16 channels at 28×28 (784 × 12,544) is within it
    max_weight_matrix_cells: Positive = 16_000_000
    max_weight_matrix_entries: Positive = 200_000  # non-zeros listed in the JSON
    max_png_side: Positive = 2048  # feature-map and filter pictures: big layers come in pages
    max_weight_matrix_png_side: Positive = 4096  # rows or cols drawn, one pixel per cell at least
    # Explanations (``/api/models/{id}/explain``), the kernel editor and colour images.
    # per-model tables (top-activating digits); installed: in the per-user folder
    cache_dir: Dir = (REPO_ROOT / "runs" if in_checkout() else user_dir()) / "cache"
    max_ig_steps: Positive = 256  # integrated gradients: path points per request
    max_occlusion_patches: Positive = 1024  # occluded copies classified per request
    max_top_k: Positive = 16  # top-activating test digits per filter
    # a top-activations table: images × one pass to the last conv layer (MNIST CNN: ~35,000)
    max_table_megamacs: Positive = 200_000
    max_top_values: Positive = 2_000_000  # colour patch values in one top-activations answer
    max_top_photos: Positive = 16  # your own photos ranked in one top-activations request
    max_maximise_steps: Positive = 256  # activation maximisation: gradient-ascent steps
    max_color_side: Positive = 128  # a colour image is shrunk to fit this before filtering
    # The cost of one request, estimated before it starts (``engine.cost``: multiply-add
    # equivalents of the model passes it needs), and how many units one maximise request runs.
    max_request_megamacs: Positive = 12_000  # about 1 s of one core (bench/bench_limits.py)
    max_backprop_values: Positive = 2_000_000  # gradients in one /backprop answer (JSON)
    max_maximise_units: Positive = 64  # filters/units per maximise request: ask in pages
    # one image through a trained or imported model: a ResNet-50 at 224×224 is ~4,100
    max_model_megamacs: Positive = 5_000
    max_train_step_megamacs: Positive = 60_000  # one training step: batch × forward + backward
    # Work that is not a request's own: whole-test-set tables (evaluation, top-activating
    # digits) are computed once per model in the background; a request waits this long for one.
    table_wait_seconds: Positive = 20
    max_cache_bytes: Positive = 64 * 1024 * 1024  # each in-memory cache of results
    # Heavy requests (explanations that run the model many times, playground, imports) at once
    # in the whole server (every worker); past it a 503 with Retry-After: predictions go on.
    max_heavy_requests: Positive = 1
    max_heavy_requests_per_client: Positive = 1  # one client's share of them; past it a 429
    heavy_wait_seconds: Positive = 1  # a heavy request waits this long for a slot, then 503
    heavy_nice: Positive = 10  # the heavy threads' CPU priority (Linux nice, 0..19)
    graceful_shutdown_seconds: Positive = 5  # SIGTERM: in-flight requests get this long
    blas_threads: Positive = 1  # BLAS threads per process: concurrency is request threads
    max_conv_padding: Positive = 11  # /api/conv padding per side
    max_conv_terms: Positive = 60_000  # /api/conv steps: outputs × kernel weights written out
    max_pool_positions: Positive = 100_000  # /api/pool steps: outputs × window positions
    # Training from the browser (``/api/train``) and importing weights.
    jobs_dir: Dir | None = None  # job records and checkpoints; None: <models_dir>/.jobs
    queue_url: str = ""  # the training queue: "" = SQLite in jobs_dir; redis://host:port/db
    # who runs the queue's consumer: "auto", "process", "thread", "none"
    training_mode: Literal["auto", "process", "thread", "none"] = "auto"
    max_running_jobs: Positive = 1  # jobs training at once (the consumer's workers); others wait
    max_queued_jobs: Positive = 8
    max_jobs_per_client: Positive = 3  # one client's queued and running jobs; past it a 429
    # finished jobs whose events stay stored; older ones are pruned
    kept_job_event_logs: Positive = 20
    max_train_epochs: Positive = 50
    max_train_batch_size: Positive = 1024
    max_train_images: Positive = 60_000  # the request's ``limit``
    max_train_layers: Positive = 32
    max_train_params: Positive = 2_000_000
    max_dense_features: Positive = 4096
    # filters of a trained convolution and features of its batch norm: the shipped cifar10-bn
    # has 256, and its recipe (batch 256) needs about 1.13 GB a step
    max_train_channels: Positive = 256
    max_train_step_megabytes: Positive = 1536  # estimated activations + im2col of one batch
    # an uploaded .npz, or .onnx + its external data: a ResNet-50 file is ~98 MB. The import
    # route's body limit is this plus max_request_bytes (the form's other fields).
    max_import_bytes: Positive = 128 * 1024 * 1024
    # Your own data (``/api/datasets``): a zip of an image folder, inspected before decoding.
    datasets_dir: Dir | None = None  # uploaded data sets; None: <models_dir>/.datasets
    max_dataset_upload_bytes: Positive = 128 * 1024 * 1024  # the zip as uploaded
    max_datasets: Positive = 20  # uploaded data sets kept at once; past it the oldest go
    max_dataset_store_bytes: Positive = 4 * 1024**3  # all uploaded data sets' arrays on disk
    max_dataset_age_days: Positive = 30  # an uploaded data set is deleted after this
    max_dataset_entries: Positive = 100_000  # files and folders in the zip
    max_dataset_classes: Positive = 100
    max_dataset_file_bytes: Positive = 4 * 1024 * 1024  # one image, as the zip declares it
    max_dataset_total_bytes: Positive = 1024 * 1024 * 1024  # every image, as declared
    max_dataset_image_pixels: Positive = 256 * 256  # width × height an image header declares
    max_dataset_values: Positive = 200_000_000  # N × 3 × H × W decoded (800 MB as float32)
    # Uploaded photos (``/api/photos``), kept so a link can name one: each as its image file,
    # within max_image_bytes / max_image_side / max_image_pixels like any ``image`` input.
    photos_dir: Dir | None = None  # None: <models_dir>/.photos
    max_photos: Positive = 500  # photos kept at once; past it the oldest go
    max_photo_store_bytes: Positive = 256 * 1024 * 1024  # all photos on disk
    max_photo_age_days: Positive = 7  # a photo (and so a link naming it) is deleted after this
    sse_heartbeat_seconds: Positive = 15

    @classmethod
    def from_env(cls) -> Settings:
        """``Settings()``, with a refusal that names the variable: ``ValueError`` when a value
        does not parse or is out of range."""
        try:
            return cls()
        except ValidationError as e:
            raise ValueError(
                "; ".join(
                    f"{PREFIX}{str(err['loc'][0]).upper()}: {err['msg']}, got {err['input']!r}"
                    for err in e.errors()
                )
            ) from None

    @property
    def cors_origin_list(self) -> list[str]:
        """``cors_origins`` as a list (``"*"`` allows any origin)."""
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    def limits(self) -> dict[str, int]:
        """Every ``max_*`` / ``min_*`` limit by name (what ``GET /api/limits`` returns)."""
        return {
            name: getattr(self, name)
            for name in type(self).model_fields
            if name.startswith(("max_", "min_"))
        }
