"""A grouped convolution, one group at a time.

A conv with ``groups = G`` (PyTorch's ``groups``; ``G == C``: depthwise) splits its ``C`` input
channels and ``F`` filters into ``G`` independent groups: group ``g`` reads input channels
``c0 .. c0 + C/G - 1`` (``c0 = g*C/G``) and writes output channels ``f0 .. f0 + F/G - 1``
(``f0 = g*F/G``), with weights ``weight[f0:f0+F/G]: (F/G, C/G, kh, kw)``. No filter of the group
sees another group's channels, so the layer's weight matrix is block-diagonal and each block can
be taken apart on its own:

    M_g @ x[c0:c0+C/G].flatten() + repeat(b[f0:f0+F/G], H_out*W_out)
        == conv(x)[f0:f0+F/G].flatten()

``M_g: (F/G * H_out*W_out, C/G * H*W)``: rows filter-major (filter ``f0 + q``'s output ``(i, j)``
is row ``q*H_out*W_out + i*W_out + j``), the group's kernels flat in ``kernel`` with
``k = q*(C/G)*kh*kw + c*kh*kw + a*kw + b``. A filter's rows are its own weight matrix
(``engine.anatomy.matrix``) on the group's channels, so shared weights and structural zeros are
those of each filter; the cells joining a filter to another filter's outputs do not exist here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.anatomy.matrix import WeightMatrix, dense, matvec, weight_matrix


@dataclass(frozen=True)
class GroupSpan:
    """Which channels group ``group`` of ``groups`` covers: ``range``s of channel indices."""

    group: int
    groups: int
    in_channels: range
    out_channels: range


def group_span(in_channels: int, out_channels: int, groups: int, group: int) -> GroupSpan:
    """Group ``group``'s channels; ``ValueError`` naming ``group`` and its range if out of it."""
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"groups = {groups} does not divide {in_channels} input and {out_channels} output "
            "channels"
        )
    if isinstance(group, bool) or not isinstance(group, (int, np.integer)):
        raise ValueError(f"group must be an int from 0 to {groups - 1}, got {group!r}")
    if not 0 <= group < groups:
        raise ValueError(f"group must be from 0 to {groups - 1} ({groups} groups), got {group}")
    cg, fg = in_channels // groups, out_channels // groups
    g = int(group)
    return GroupSpan(g, groups, range(g * cg, (g + 1) * cg), range(g * fg, (g + 1) * fg))


def group_of(filter_: int, out_channels: int, groups: int) -> int:
    """The group output channel ``filter_`` belongs to."""
    return int(filter_) // (out_channels // groups)


@dataclass(frozen=True, eq=False)
class GroupMatrix:
    """The block ``M_g`` of one group (see the module docstring).

    ``shape_in: (C/G, H, W)``; ``shape_out: (F/G, H_out, W_out)``; ``rows = F/G*H_out*W_out``;
    ``cols = C/G*H*W``; ``kernel: (F/G*C/G*kh*kw,)``; ``bias: (F/G,)``; ``entries: (nnz, 3)``
    int64 ``[row, col, k]``, sorted by row.
    """

    span: GroupSpan
    shape_in: tuple[int, int, int]
    shape_out: tuple[int, int, int]
    rows: int
    cols: int
    kernel: np.ndarray
    bias: np.ndarray
    entries: np.ndarray

    @property
    def num_structural_zeros(self) -> int:
        return self.rows * self.cols - len(self.entries)

    def row_bias(self) -> np.ndarray:
        """``(rows,)``: each row's filter's bias."""
        return np.repeat(self.bias.astype(np.float64), self.shape_out[1] * self.shape_out[2])

    def dense(self) -> np.ndarray:
        """``M_g: (rows, cols)`` float64."""
        return dense(self.entries, self.kernel, self.rows, self.cols)

    def matvec(self, x_group: np.ndarray) -> np.ndarray:
        """``M_g @ x_group.flatten() + b_g`` ``(rows,)`` float64, ``x_group: (C/G, H, W)``."""
        return matvec(self.entries, self.kernel, self.row_bias(), x_group, self.rows)


def group_matrix(
    weight, bias, input_shape, groups: int, group: int, stride=1, padding=0, dilation=1
) -> GroupMatrix:
    """The weight-matrix block of group ``group`` of a conv layer.

    ``weight: (F, C/G, kh, kw)`` (the layer's, PyTorch's layout); ``bias: (F,)`` or ``None``;
    ``input_shape: (C, H, W)``, the whole layer input. Invariant (tested against the layer):
    ``M_g @ x[c0:c0+C/G].flatten() + b_g == conv(x)[f0:f0+F/G].flatten()``.
    """
    w = np.asarray(weight, dtype=np.float64)  # w: (F, C/G, kh, kw)
    if w.ndim != 4:
        raise ValueError(f"weight must be (F, C/groups, kh, kw), got shape {list(w.shape)}")
    C, H, W = (int(d) for d in input_shape)
    F, Cg = w.shape[:2]
    if Cg * groups != C:
        raise ValueError(
            f"weight of shape {list(w.shape)} with groups = {groups} reads {Cg * groups} "
            f"channels, not the input's {C}"
        )
    span = group_span(C, F, groups, group)
    b = np.zeros(F) if bias is None else np.asarray(bias, dtype=np.float64).reshape(F)
    fs = slice(span.out_channels.start, span.out_channels.stop)
    # Entries follow from the geometry alone, the same for every filter of the group: the
    # first filter's, shifted down P rows and along K kernel weights per filter.
    first = weight_matrix(w[fs.start], 0.0, (Cg, H, W), stride, padding, dilation)
    n, P, K = len(span.out_channels), first.rows, first.kernel.size
    shift = np.arange(n)[:, None] * np.array([P, 0, K])  # shift: (F/G, 3)
    return GroupMatrix(
        span=span,
        shape_in=first.shape_in,
        shape_out=(n, *first.shape_out),
        rows=n * P,
        cols=first.cols,
        kernel=w[fs].reshape(-1),  # (F/G * C/G*kh*kw,), k = q*K + c*kh*kw + a*kw + b
        bias=b[fs],
        entries=(first.entries[None] + shift[:, None]).reshape(-1, 3),  # (F/G * nnz_f, 3)
    )


def on_every_channel(wm: WeightMatrix, span: GroupSpan, in_channels: int) -> WeightMatrix:
    """One filter's matrix on its group's channels (``wm``, ``shape_in: (C/G, H, W)``) as the
    matrix on all ``in_channels`` the layer reads: the columns of the other groups' channels
    hold only structural zeros (no entry reaches them), and ``kernel`` is the filter's weights
    at its channels' places in ``C*kh*kw`` (zeros elsewhere, which no entry uses). So
    ``M @ x.flatten() + bias == conv(x)[f].flatten()`` for any ``x: (C, H, W)``, as for an
    ungrouped conv."""
    Cg, H, W = wm.shape_in
    c0 = span.in_channels.start
    per_channel = wm.kernel.size // Cg  # kh*kw
    kernel = np.zeros(in_channels * per_channel, dtype=wm.kernel.dtype)
    kernel[c0 * per_channel : (c0 + Cg) * per_channel] = wm.kernel
    shift = np.array([0, c0 * H * W, c0 * per_channel], dtype=wm.entries.dtype)
    return WeightMatrix(
        shape_in=(in_channels, H, W),
        shape_out=wm.shape_out,
        rows=wm.rows,
        cols=in_channels * H * W,
        kernel=kernel,
        bias=wm.bias,
        entries=wm.entries + shift,  # col and k move to the group's channels; rows stay
    )
