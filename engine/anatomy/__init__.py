"""Convolution anatomy: one filter on one small input, taken apart view by view.

Pure NumPy, float64, PyTorch semantics (cross-correlation; ``x: (C, H, W)``, one filter's
``kernel: (C, kh, kw)``; stride/padding/dilation pairs;
``H_out = floor((H + 2p - d(k - 1) - 1) / s) + 1``). The views are the ones the seed texts draw:

- ``matrix``: the weight matrix ``M: (H_out*W_out, C*H*W)`` and the dense-network view;
- ``groups``: a grouped (or depthwise) conv one group at a time, its block of the matrix;
- ``equation``: each output written out term by term, and all of them for the animation;
- ``pooling``: each pooling window, its value and the winning input;
- ``formulas``: the output-size arithmetic, why a combination is invalid, parameter counts;
- ``flip``: the mathematical convolution (kernel flipped) against cross-correlation;
- ``presets``: the source texts' worked examples, named by what they show.
"""

from engine.anatomy.equation import MAX_STEP_TERMS, Step, Term, convolve, equation, steps
from engine.anatomy.flip import MODES, check_mode, flip_kernel, kernel_for, relation
from engine.anatomy.formulas import (
    conv_formula,
    conv_params,
    conv_problems,
    dense_params,
    pool_formula,
)
from engine.anatomy.groups import (
    GroupMatrix,
    GroupSpan,
    group_matrix,
    group_of,
    group_span,
    on_every_channel,
)
from engine.anatomy.matrix import (
    WeightMatrix,
    dense_view,
    matvec,
    structural_zeros,
    weight_matrix,
)
from engine.anatomy.pooling import PoolResult, PoolStep, pool_steps
from engine.anatomy.presets import POOL_PRESETS, PRESETS, SOURCES, cite, get_preset

__all__ = [
    "MAX_STEP_TERMS",
    "MODES",
    "POOL_PRESETS",
    "PRESETS",
    "SOURCES",
    "GroupMatrix",
    "GroupSpan",
    "PoolResult",
    "PoolStep",
    "Step",
    "Term",
    "WeightMatrix",
    "check_mode",
    "cite",
    "conv_formula",
    "conv_params",
    "conv_problems",
    "convolve",
    "dense_params",
    "dense_view",
    "equation",
    "flip_kernel",
    "get_preset",
    "group_matrix",
    "group_of",
    "group_span",
    "on_every_channel",
    "kernel_for",
    "matvec",
    "pool_formula",
    "pool_steps",
    "relation",
    "steps",
    "structural_zeros",
    "weight_matrix",
]
