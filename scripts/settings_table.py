"""Print the README's configuration table from ``app.core.settings.Settings``.

    python scripts/settings_table.py

Every field of ``Settings`` is one ``CNN_EXPLORER_<FIELD>`` environment variable; its default
comes from the class, its description from ``DESCRIPTIONS`` below. ``tests/test_readme.py``
checks that the README holds exactly this table, so a new setting without a line here, or a
changed default, fails the tests until the README is regenerated.
"""

from __future__ import annotations

from pathlib import Path

from app.core.settings import PREFIX, REPO_ROOT, Settings

DESCRIPTIONS = {
    "host": "address to listen on; the Docker image sets `0.0.0.0`",
    "port": "port to listen on",
    "workers": "uvicorn worker processes; each loads the models; they share one training queue",
    "request_threads": "threads per worker that run requests; more only contend for the "
    "GIL (the async event streams do not use them)",
    "log_level": "`debug`, `info` (one JSON line per request on stdout), `warning`, `error`",
    "cors_origins": "comma-separated origins allowed cross-origin requests (`*`: any); empty: "
    "no CORS headers at all",
    "frame_ancestors": "CSP sources allowed to show the pages in a frame (`cnn_explorer.show` "
    "sets local notebook origins); empty: none (`X-Frame-Options: DENY`)",
    "write_token": "a secret; when set, every write (import, rename, delete, train, cancel, "
    "resume) needs `Authorization: Bearer <token>`, and the pages ask for it once; reads stay "
    "open. Never logged",
    "read_only": "`1`: refuse every write; the pages say why their write buttons are off",
    "forwarded_allow_ips": "proxies whose `X-Forwarded-For` names the client (uvicorn's "
    "`--forwarded-allow-ips`), for the per-client shares; empty: the peer's address",
    "max_heavy_requests_per_client": "one client's share of `MAX_HEAVY_REQUESTS`; one more is "
    "a 429 with `Retry-After`",
    "max_jobs_per_client": "one client's queued and running training jobs; one more is a 429",
    "models_dir": "the models (`<id>.npz` plus an optional `<id>.json` card); trained and "
    "imported models are written here",
    "data_dir": "data sets: IDX files (`<data_dir>/mnist/…`), CIFAR-10's binary release or "
    "`cifar10-jpeg.zip` (`<data_dir>/cifar10/`)",
    "static_dir": "the pages' scripts, styles and images",
    "cache_dir": "cached tables for the explanation pages (top-activating digits)",
    "jobs_dir": "training checkpoints, and the training queue's SQLite file when there is no "
    "`QUEUE_URL`; empty: `<models_dir>/.jobs`",
    "queue_url": "the training queue (huey): empty, a SQLite file in `JOBS_DIR`; "
    "`redis://host:port/db`, Redis, shared by servers and training workers on several machines",
    "default_model": "the model shown first; read-only through the API",
    "training_mode": "who runs the queue's jobs: `auto`, a consumer process `python -m app` "
    "starts, or else the app itself when no training worker is alive (`uvicorn app.main:app`; "
    "one of several workers wins); `process`, only the consumer `python -m app` starts; "
    "`thread`, always the app itself; `none`, consumers elsewhere (a queued job then says "
    "that none is running)",
    "sse_heartbeat_seconds": "seconds between keep-alive comments on a job's event stream",
    "max_request_bytes": "whole request body (8 MiB)",
    "max_image_bytes": "an `image` after base64 decoding (2 MiB)",
    "max_image_side": "an `image`'s width and height, read from its header before decoding",
    "max_image_pixels": "an `image`'s width × height, from its header before decoding",
    "min_pixels_side": "a `pixels` grid's smallest side",
    "max_pixels_side": "a `pixels` grid's largest side",
    "max_conv_input_side": "input side for `/api/conv`, `/api/pool`, weight matrices; also "
    "the largest stride and dilation",
    "max_channels": "channels of a playground input or kernel",
    "max_kernel_side": "kernel side (playground, pooling, training)",
    "max_conv_padding": "`/api/conv` and training padding per side",
    "max_conv_terms": "`/api/conv` steps: outputs × kernel weights written out",
    "max_pool_positions": "`/api/pool` steps: outputs × window positions",
    "max_weight_matrix_cells": "rows × columns of a weight matrix",
    "max_weight_matrix_entries": "non-zeros of a weight matrix listed in the JSON",
    "max_png_side": "width or height of a feature-map or filter PNG: a big layer comes in pages",
    "max_weight_matrix_png_side": "rows or columns of a weight matrix drawn as a PNG",
    "max_ig_steps": "integrated gradients: path points per request",
    "max_occlusion_patches": "occlusion: occluded copies classified per request",
    "max_top_k": "top-activating test images per filter",
    "max_table_megamacs": "a top-activations table: images × one pass to the last conv layer, "
    "millions of multiply-adds (the MNIST CNN's is ~35,000, the CIFAR-10 LeNet's on 10,000 "
    "photos ~10,000)",
    "max_top_photos": "your own photos ranked in one top-activations request (`POST`)",
    "max_top_values": "colour patch values in one top-activations answer (a deep layer's "
    "patches are most of a photo: ask for one `filter`)",
    "max_maximise_steps": "activation maximisation: gradient-ascent steps",
    "max_color_side": "a colour image is shrunk to fit this before filtering",
    "max_request_megamacs": "one request's estimated model work, millions of multiply-adds "
    "(`engine.cost`; about 1 s of a core): maximise, occlusion, integrated gradients",
    "max_maximise_units": "filters or units in one maximise request (ask in ranges: "
    "`first`, `count`)",
    "max_model_megamacs": "one image through a trained or imported network (a ResNet-50 at "
    "224×224 is ~4,100)",
    "max_backprop_values": "gradient values in one `/backprop` answer (every layer's output "
    "and weights)",
    "max_train_step_megamacs": "one training step: batch size × 3 passes",
    "table_wait_seconds": "a request waits this long for a whole-test-set table being "
    "computed in the background, then 503 with Retry-After",
    "max_cache_bytes": "each in-memory cache of results (maximised images, tables)",
    "max_heavy_requests": "heavy requests (occlusion, integrated gradients, maximise, "
    "playground) at once across all workers; more wait, then 503 + Retry-After",
    "heavy_wait_seconds": "how long a heavy request waits for a free slot",
    "heavy_nice": "CPU priority (Linux nice) of the threads heavy requests run on",
    "graceful_shutdown_seconds": "after SIGTERM, in-flight requests get this long",
    "blas_threads": "BLAS threads per process (`OPENBLAS_NUM_THREADS` etc. unless set)",
    "max_running_jobs": "training jobs running at once: the consumer's workers (each machine's "
    "consumer runs this many)",
    "max_queued_jobs": "training jobs waiting",
    "kept_job_event_logs": "finished training jobs whose progress events stay in the queue's "
    "storage; after every run the events of older finished jobs are deleted (their records, and "
    "so the job list, stay)",
    "max_train_epochs": "epochs per job",
    "max_train_batch_size": "batch size per job",
    "max_train_images": "training images per job (`limit`)",
    "max_train_layers": "layers in a trained architecture",
    "max_train_params": "parameters in a trained architecture",
    "max_dense_features": "a dense layer's outputs",
    "max_train_channels": (
        "a trained convolution's filters and its batch norm's features in `/api/train`"
    ),
    "max_train_step_megabytes": "estimated memory of one training step",
    "max_import_bytes": "an uploaded `.npz`, or `.onnx` with its external data (128 MiB: a "
    "ResNet-50 file is ~98 MB); the import route's body limit is this plus "
    "`max_request_bytes`, and an upload is spooled to disk",
    "datasets_dir": "uploaded data sets (`POST /api/datasets`); empty: `<models_dir>/.datasets`",
    "max_dataset_upload_bytes": "an uploaded data set's zip (128 MiB), streamed to disk",
    "max_datasets": "uploaded data sets kept at once; past it the oldest is deleted first",
    "max_dataset_entries": "files and folders in a data set's zip",
    "max_dataset_classes": "classes in an uploaded data set",
    "max_dataset_file_bytes": "one image in a data set's zip, as declared (4 MiB)",
    "max_dataset_total_bytes": "every image in a data set's zip together, as declared (1 GiB)",
    "max_dataset_image_pixels": "width × height an image's header may declare",
    "max_dataset_store_bytes": "bytes all uploaded data sets may hold on disk; past it the "
    "oldest are deleted first",
    "max_dataset_age_days": "days an uploaded data set is kept; a link to an older one says "
    "it expired",
    "max_dataset_values": "N × 3 × H × W numbers of a decoded data set",
    "photos_dir": "uploaded photos (`POST /api/photos`); empty: `<models_dir>/.photos`",
    "max_photos": "uploaded photos kept at once; past it the oldest is deleted first",
    "max_photo_store_bytes": "bytes all uploaded photos may hold on disk (256 MiB); past it "
    "the oldest are deleted first",
    "max_photo_age_days": "days an uploaded photo is kept; a link to an older one says it expired",
}


def default_text(value) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, Path):
        try:
            return "./" + value.relative_to(REPO_ROOT).as_posix()
        except ValueError:
            return str(value)
    if value == "":
        return "(empty)"
    return str(value)


def table() -> str:
    lines = ["| variable | default | what |", "|---|---|---|"]
    for field, info in Settings.model_fields.items():
        what = DESCRIPTIONS.get(field)
        if what is None:
            raise SystemExit(f"no description for Settings.{field}: add one to DESCRIPTIONS")
        name = PREFIX + field.upper()
        lines.append(f"| `{name}` | `{default_text(info.default)}` | {what} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
