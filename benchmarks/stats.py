"""Summary statistics of step times shared by the benchmark scripts
(no TensorFlow or torch import, so worker drivers can use them)."""

from __future__ import annotations

import statistics


def quantile(values, q):
    """The `q`-quantile of `values` (nearest rank, no interpolation)."""
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def jitter(times):
    """Within-run variation of step times: p90 / p10."""
    return quantile(times, 0.9) / quantile(times, 0.1)


def summarize(run_times):
    """Per contestant, from its runs' step times (s): the median of the run
    medians, the spread (max / min of the run medians) and the within-run
    jitter (median over runs of p90 / p10 of the step times)."""
    ms = [1000 * statistics.median(t) for t in run_times]
    return {
        "median_ms": statistics.median(ms),
        "min_ms": min(ms),
        "max_ms": max(ms),
        "spread": max(ms) / min(ms),
        "jitter_p90_p10": statistics.median(jitter(t) for t in run_times),
        "runs_ms": ms,
    }
