"""Summary statistics of step times shared by the benchmark scripts
(no TensorFlow or torch import, so worker drivers can use them)."""

from __future__ import annotations

import math
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


def paired_ratio(a_runs_ms, b_runs_ms):
    """Median over runs of contestant a's run median / b's. With
    `timed_runs`, run r of every contestant spans the same stretch of time,
    so each run's ratio cancels the machine's drift that the ratio of the
    two overall medians still carries (two instances of one model measured
    that way came out up to ~2% apart)."""
    return statistics.median(a / b for a, b in zip(a_runs_ms, b_runs_ms, strict=True))


def timed_runs(measure, names, runs, run_seconds=4.0, blocks=2, min_block_steps=3):
    """Runs of every contestant in `names`, so that the machine's drift lands
    on all of them alike. `measure(name, steps, warmup)` returns the step
    times (s) of `steps` steps of contestant `name` after `warmup` untimed
    ones.

    - One discarded warm-up round of every contestant (tracing, compilation,
      caches), which also measures each one's step time.
    - Every run lasts about `run_seconds` for every contestant: a faster one
      runs more steps, so no contestant's run median averages the machine
      over a shorter window than another's (equal step counts would give the
      fastest contestant the noisiest runs).
    - Each run is `blocks` blocks interleaved across contestants (block 1 of
      every contestant, then block 2, ...), each after one untimed step, so
      a contestant's run r spans the same stretch of time as everyone
      else's run r.
    - The order of the contestants rotates by one every run (run r starts
      with contestant r mod n), so none always follows the same neighbour
      or always comes first after the previous run.

    Returns ({name: [step times of run 1, ...]}, {name: steps per run})."""
    step_s = {name: statistics.median(measure(name, 5, 3)) for name in names}
    per_block = {
        name: max(min_block_steps, math.ceil(run_seconds / blocks / step_s[name])) for name in names
    }
    times = {name: [] for name in names}
    names = list(names)
    for r in range(runs):
        for name in names:
            times[name].append([])
        order = names[r % len(names) :] + names[: r % len(names)]
        for _ in range(blocks):
            for name in order:
                times[name][-1].extend(measure(name, per_block[name], 1))
    return times, {name: per_block[name] * blocks for name in names}
