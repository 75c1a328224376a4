"""Response bodies of ``/api/health`` and ``/api/limits``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: Literal["ok"]
    engine_version: str
    models_loaded: int
    models: list[str]
    model_errors: dict[str, str] = Field(
        description="Model files found but not loaded, with the reason."
    )


class Limits(BaseModel):
    """Every limit the API enforces; a request beyond one gets a 4xx naming it."""

    max_request_bytes: int
    max_image_bytes: int
    max_image_side: int
    max_image_pixels: int = Field(description="Width × height of a decoded photo, at most.")
    max_backprop_values: int = Field(description="Gradient values in one /backprop answer.")
    min_pixels_side: int
    max_pixels_side: int
    max_conv_input_side: int
    max_channels: int
    max_kernel_side: int
    max_weight_matrix_cells: int
    max_weight_matrix_entries: int
    max_png_side: int
    max_weight_matrix_png_side: int
    max_ig_steps: int
    max_occlusion_patches: int
    max_top_k: int
    max_table_megamacs: int = Field(
        description="A top-activations table: images × one pass to the last conv layer."
    )
    max_top_values: int = Field(description="Colour patch values in one top-activations answer.")
    max_top_photos: int = Field(description="Your own photos ranked in one top-activations POST.")
    max_maximise_steps: int
    max_color_side: int
    max_conv_padding: int
    max_conv_terms: int
    max_pool_positions: int
    max_running_jobs: int
    max_queued_jobs: int
    max_jobs_per_client: int = Field(
        description="One client's queued and running training jobs; more get a 429."
    )
    max_train_epochs: int
    max_train_batch_size: int
    max_train_images: int
    max_train_layers: int
    max_train_params: int
    max_dense_features: int
    max_train_channels: int = Field(
        description="A trained convolution's filters and its batch norm's features."
    )
    max_train_step_megabytes: int
    max_import_bytes: int
    max_dataset_upload_bytes: int = Field(description="An uploaded data set's zip.")
    max_datasets: int = Field(description="Uploaded data sets kept at once; the oldest go first.")
    max_dataset_store_bytes: int = Field(
        description="Bytes all uploaded data sets may hold on disk; past it the oldest go first."
    )
    max_dataset_age_days: int = Field(description="Days an uploaded data set is kept.")
    max_dataset_entries: int = Field(description="Files and folders in a data set's zip.")
    max_dataset_classes: int
    max_dataset_file_bytes: int = Field(description="One image, as the zip declares it.")
    max_dataset_total_bytes: int = Field(description="Every image, as the zip declares them.")
    max_dataset_image_pixels: int = Field(description="Width × height an image header declares.")
    max_dataset_values: int = Field(description="N × 3 × H × W of a decoded data set.")
    max_photos: int = Field(description="Uploaded photos kept at once; the oldest go first.")
    max_photo_store_bytes: int = Field(
        description="Bytes all uploaded photos may hold on disk; past it the oldest go first."
    )
    max_photo_age_days: int = Field(description="Days an uploaded photo (and a link to it) lasts.")
    max_request_megamacs: int = Field(
        description="Estimated cost of one request's model passes, in millions of multiply-add "
        "equivalents (`engine.cost`): units × steps × 3 × pass for maximise, (patches + 1) × pass "
        "for occlusion, (steps + 1) × 3 × pass for integrated gradients; about 1 s of a core."
    )
    max_maximise_units: int = Field(description="Filters or units in one maximise request.")
    max_model_megamacs: int = Field(
        description="One image through a model that is trained or imported."
    )
    max_train_step_megamacs: int = Field(
        description="One training step: batch size × 3 × one image's pass."
    )
    max_cache_bytes: int = Field(description="Each in-memory cache of computed results.")
    max_heavy_requests: int = Field(
        description="Heavy requests running at once in the server; more get a 503 with Retry-After."
    )
    max_heavy_requests_per_client: int = Field(
        description="One client's share of the heavy requests; more get a 429 with Retry-After."
    )


class Access(BaseModel):
    """Whether this client may write (import, rename, delete, train, cancel, resume)."""

    read_only: bool = Field(description="The server refuses every write (CNN_EXPLORER_READ_ONLY).")
    token_required: bool = Field(description="Writes need `Authorization: Bearer <token>`.")
    can_write: bool = Field(description="This request (with its Authorization header) may write.")
    why: str | None = Field(None, description="Why not, in words, when it may not.")
