"""NumPy arrays straight to JSON text, as ``app.models.inference.rounded`` gives them, vectorised.

An explorer answer for a 64-channel network carries a quarter of a million numbers. Through
``ndarray.tolist()`` and a JSON encoder each costs a Python float and a shortest-repr
conversion (≈ 35 ms for the answer). Here they are looked up, all at once, in a table of the
decimal texts of ``k · 10^-d`` for every integer ``|k| ≤ 100000``: ``k = rint(x · 10^d)`` with
the ``d`` decimals that keep 5 significant digits of the array's largest magnitude. Each number
is one or two 8-byte words of text (NUL-padded), each followed by a word holding what comes
between it and the next number (``,`` or ``]],[[``, and the next one's ``-``); the padding is
then dropped.

The text parses to exactly the floats of ``rounded(a, digits)``: those are ``k / 10^d`` with
``k`` and ``10^d`` exact doubles, i.e. the double nearest the decimal ``k · 10^-d`` — which is
what a JSON parser reads from the digits written here. The fraction's trailing zeros are left
out (``0.5``, ``-3``, ``0``). An array with NaN or infinity, of more than three axes, or whose
rounded values do not fit the table (over 10^5 with no decimals left) goes the slow way:
``pydantic_core.to_json`` of the rounded lists, as FastAPI would have answered.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pydantic_core

TABLE_MAX = 100_000  # |k| covered: 5 significant digits round to at most 10^5
MAX_RANK = 3  # "]]],[[[-" is 8 bytes: a separator fits one word up to three axes


def decimals_for(a: np.ndarray, digits: int) -> int:
    """Decimals that keep ``digits`` significant digits of ``a``'s largest magnitude (0..12)."""
    return decimals_for_peak(float(np.abs(a).max()) if a.size else 0.0, digits)


def decimals_for_peak(peak: float, digits: int) -> int:
    """:func:`decimals_for` of an array whose largest magnitude is ``peak`` (finite, ≥ 0)."""
    decimals = digits if peak == 0.0 else digits - 1 - math.floor(math.log10(peak))
    return max(0, min(decimals, 12))


def decimal_text(k: int, d: int) -> str:
    """The shortest decimal of ``k · 10^-d``: ``decimal_text(-1250, 4) == "-0.125"``."""
    if d == 0:
        return str(k)
    s = str(abs(k)).rjust(d + 1, "0")
    text = (s[:-d] + "." + s[-d:]).rstrip("0").rstrip(".")
    return "-" + text if k < 0 else text


def _words(texts: list[bytes], n_words: int) -> np.ndarray:
    """``texts`` NUL-padded to ``8 * n_words`` bytes, as ``(len(texts), n_words)`` uint64."""
    raw = np.array(texts, dtype=f"S{8 * n_words}")
    return raw.view(np.uint64).reshape(len(texts), n_words)


@lru_cache(maxsize=13)  # one per d in 0..12: 0.8 MB (1.6 MB for d > 5), built in ~10 ms
def _table(d: int) -> np.ndarray:
    """``table[k]``: the text of ``k · 10^-d``, ``0 ≤ k ≤ TABLE_MAX``, as uint64 words.

    The characters of ``decimal_text(k, d)`` in order, with NULs where a leading zero of the
    integer part or a trailing zero of the fraction (or an unneeded point) would be; the
    encoder drops every NUL. Built by digit arithmetic on all of them at once.
    """
    k = np.arange(TABLE_MAX + 1, dtype=np.int64)
    places = max(len(str(TABLE_MAX)), d + 1)  # digits written, units of k's last one
    weight = 10 ** np.arange(places - 1, -1, -1, dtype=np.int64)  # of each, left to right
    digits = (k[:, None] // weight) % 10 + ord("0")
    integer = weight >= 10**d  # the integer part's columns, then the fraction's
    keep = np.where(
        integer,
        (k[:, None] >= weight) | (weight == 10**d),  # no leading zeros; "0" before a point
        (k[:, None] % (weight * 10)) != 0,  # no trailing zeros
    )
    width = places + (1 if d else 0)
    chars = np.zeros((TABLE_MAX + 1, -(-width // 8) * 8), dtype=np.uint8)
    n_int = int(integer.sum())
    chars[:, :n_int] = np.where(keep[:, :n_int], digits[:, :n_int], 0)
    if d:
        chars[:, n_int] = np.where(k % 10**d != 0, ord("."), 0)
        chars[:, 1 + n_int : width] = np.where(keep[:, n_int:], digits[:, n_int:], 0)
    return chars.view(np.uint64)


def warm(decimals=range(8)) -> None:
    """Build the tables of the usual ``d`` now (at start-up), not in the first requests."""
    for d in decimals:
        _table(d)


#: ``_SEPARATORS[2 * c + negative]``: what comes between two numbers where ``c`` lists end and
#: as many begin, and the next number's sign.
_SEPARATORS = _words(
    [b"]" * c + b"," + b"[" * c + sign for c in range(MAX_RANK) for sign in (b"", b"-")], 1
)[:, 0]


def encode_rounded(a, digits: int = 5) -> bytes:
    """``a`` as nested JSON lists of its values rounded like ``rounded(a, digits)``.

    a: any shape, up to three axes (0-d gives a bare number) → UTF-8 JSON bytes.
    """
    a = np.asarray(a, dtype=np.float64)
    # The largest magnitude decides the decimals; it is NaN or infinite iff some value is.
    peak = max(float(a.max()), -float(a.min())) if a.size else math.nan
    finite = math.isfinite(peak)
    d = decimals_for_peak(peak, digits) if finite else digits
    if not finite or a.ndim > MAX_RANK or round(peak * 10.0**d) > TABLE_MAX:
        return pydantic_core.to_json(a.round(d).tolist(), inf_nan_mode="null")
    k = np.rint(a * 10.0**d) if d else np.rint(a)  # as ndarray.round(d) computes it
    table = _table(d)
    n, n_words = a.size, table.shape[1]
    words = np.empty((n, n_words + 1), dtype=np.uint64)  # per number: its text, what follows
    flat = k.ravel()
    index = flat.astype(np.intp)
    np.abs(index, out=index)
    words[:, :n_words] = table[index]
    sep = np.zeros(n, dtype=np.intp)  # 2 × lists ending at each number + the next one's sign
    stride = 1
    for size in reversed(a.shape[1:]):  # the whole array's brackets aside
        stride *= size
        sep[stride - 1 :: stride] += 2
    sep[:-1] += flat[1:] < 0
    words[:, n_words] = _SEPARATORS[sep]
    words[-1, n_words] = 0  # nothing after the last number
    text = words.view(np.uint8).ravel()
    body = np.compress(text != 0, text).tobytes()
    sign = b"-" if flat[0] < 0 else b""
    return b"[" * a.ndim + sign + body + b"]" * a.ndim
