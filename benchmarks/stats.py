"""Summary statistics of step times shared by the benchmark scripts
(no TensorFlow or torch import, so worker drivers can use them)."""

from __future__ import annotations


def quantile(values, q):
    """The `q`-quantile of `values` (nearest rank, no interpolation)."""
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def jitter(times):
    """Within-run variation of step times: p90 / p10."""
    return quantile(times, 0.9) / quantile(times, 0.1)
