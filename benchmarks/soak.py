"""Soak: a long training run with every callback on, watched for leaks and drift.

Usage:
    python benchmarks/soak.py [--minutes 30] [--variant dcgan] [--steps-per-epoch 100]
        [--out runs/soak] [--json runs/soak.json]

Trains `--variant` on real Fashion-MNIST (`kerasgan.data.load(..., seed=0)`)
with short epochs, so that the per-epoch callbacks run many times, and with
every kerasgan callback on: `EMA`, `SampleGrid`, `MetricCallback` (FID of the
training and the EMA generator on the domain classifier's features, every
epoch), `LossCurves`, `DivergenceGuard` (with a checkpoint) and
`BackupAndRestore` (every 25 steps and at epoch ends). Every minute it records
the process's resident memory (RSS), its open file descriptors, and the
median time of the minute's training steps (the steps only: epoch-end
callbacks are timed apart).

The targets (issue: reliability under long runs): after a warm-up (the first
`--warmup` minutes) RSS grows by at most 5 %, open files do not grow, and the
step time does not drift beyond noise: the median of the last third of the
minutes is compared with the first third's, beside the spread (max / min) of
the per-minute medians within the first third as the control. Prints a
per-minute table and the verdict; `--json` writes every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import keras

import kerasgan


def rss_mb() -> float:
    """The process's resident set size, in MiB (Linux /proc)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


class Monitor(keras.callbacks.Callback):
    """Times every training step and samples memory and open files each minute;
    stops training after `minutes`."""

    def __init__(self, minutes: float) -> None:
        super().__init__()
        self.deadline_s = minutes * 60
        self.rows: list[dict] = []
        self.step_times: list[float] = []

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        self.next_sample = self.start + 60

    def on_train_batch_begin(self, batch, logs=None):
        self.step_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        self.step_times.append(now - self.step_start)
        if now >= self.next_sample:
            self._sample(now)
            self.next_sample += 60
        if now - self.start >= self.deadline_s:
            self.model.stop_training = True

    def _sample(self, now: float) -> None:
        steps = self.step_times
        self.rows.append(
            {
                "minute": len(self.rows) + 1,
                "elapsed_s": round(now - self.start, 1),
                "steps": len(steps),
                "step_ms_median": round(1000 * statistics.median(steps), 2) if steps else None,
                "rss_mb": round(rss_mb(), 1),
                "open_files": open_files(),
                "steps_total": int(keras.ops.convert_to_numpy(self.model.g_optimizer.iterations)),
            }
        )
        self.step_times = []


def verdict(rows: list[dict], warmup: int) -> dict:
    """The targets checked on the minutes after the warm-up."""
    after = [r for r in rows if r["minute"] > warmup and r["step_ms_median"] is not None]
    if len(after) < 3:
        raise SystemExit(f"only {len(after)} minutes after the warm-up: run longer")
    third = max(len(after) // 3, 1)
    first, last = after[:third], after[-third:]
    rss0, rss_max = after[0]["rss_mb"], max(r["rss_mb"] for r in after)
    files0, files_max = after[0]["open_files"], max(r["open_files"] for r in after)
    step_first = statistics.median(r["step_ms_median"] for r in first)
    step_last = statistics.median(r["step_ms_median"] for r in last)
    first_steps = [r["step_ms_median"] for r in first]
    control = max(first_steps) / min(first_steps)
    drift = step_last / step_first
    return {
        "minutes_checked": len(after),
        "rss_first_mb": rss0,
        "rss_max_mb": rss_max,
        "rss_growth": round(rss_max / rss0 - 1, 4),
        "rss_ok": rss_max <= 1.05 * rss0,
        "open_files_first": files0,
        "open_files_max": files_max,
        "open_files_ok": files_max <= files0,
        "step_ms_first_third": round(step_first, 2),
        "step_ms_last_third": round(step_last, 2),
        "step_drift": round(drift, 4),
        "step_control_spread": round(control, 4),
        # drift within what the first third's minutes already differ by
        "step_ok": max(drift, 1 / drift) <= max(control, 1.05),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=30)
    p.add_argument("--warmup", type=int, default=3, help="minutes left out of the checks")
    p.add_argument("--variant", default="dcgan")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps-per-epoch", type=int, default=100)
    p.add_argument("--fid-n", type=int, default=500)
    p.add_argument("--out", default="runs/soak")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)

    os.makedirs(args.out, exist_ok=True)
    backup_dir = os.path.join(args.out, "backup")
    if os.path.isdir(backup_dir):
        raise SystemExit(f"{backup_dir} exists: remove {args.out} (a soak starts fresh)")
    keras.utils.set_random_seed(0)
    gan = kerasgan.create(args.variant, image_shape=(28, 28, 1), seed=0)
    gan.compile()
    data = kerasgan.data.load("fashion_mnist", batch_size=args.batch_size, seed=0)
    fid = {
        "real": "fashion_mnist",
        "feature_net": "fashion-mnist-classifier",
        "n": args.fid_n,
        "split": "test",
        "cache_dir": os.path.join(args.out, "feature-cache"),
    }
    monitor = Monitor(args.minutes)
    callbacks = [
        kerasgan.callbacks.EMA(0.999),
        kerasgan.callbacks.DivergenceGuard(os.path.join(args.out, "last_good.keras")),
        kerasgan.callbacks.SampleGrid(args.out, n=16),
        kerasgan.callbacks.MetricCallback("fid", **fid),
        kerasgan.callbacks.MetricCallback("fid", name="fid_ema", ema=True, **fid),
        kerasgan.callbacks.LossCurves(args.out, title=f"soak: {args.variant}"),
        kerasgan.callbacks.BackupAndRestore(backup_dir, save_freq=25),
        monitor,
    ]
    print(
        f"soak: {args.variant} on Fashion-MNIST, batch {args.batch_size}, "
        f"{args.steps_per_epoch}-step epochs, {args.minutes:g} min, backend "
        f"{keras.backend.backend()}",
        flush=True,
    )
    started = time.perf_counter()
    history = gan.fit(
        data,
        epochs=10**6,
        steps_per_epoch=args.steps_per_epoch,
        callbacks=callbacks,
        verbose=0,
    )
    wall = time.perf_counter() - started

    print(f"{'min':>4} {'steps':>6} {'ms/step':>8} {'RSS MiB':>8} {'files':>6}")
    for r in monitor.rows:
        print(
            f"{r['minute']:>4} {r['steps']:>6} {r['step_ms_median']:>8} "
            f"{r['rss_mb']:>8} {r['open_files']:>6}"
        )
    result = verdict(monitor.rows, args.warmup)
    epochs = len(history.history.get("d_loss", []))
    print(
        f"{epochs} epochs ({epochs} grids, FID pairs, curve redraws and epoch-end backups), "
        f"{int(gan.g_optimizer.iterations.numpy())} steps in {wall / 60:.1f} min; "
        f"last FID {history.history['fid'][-1]:.1f}, EMA {history.history['fid_ema'][-1]:.1f}"
    )
    print(
        f"RSS after warm-up: {result['rss_first_mb']} -> max {result['rss_max_mb']} MiB "
        f"({100 * result['rss_growth']:+.1f} %, target <= +5 %): "
        f"{'ok' if result['rss_ok'] else 'FAIL'}"
    )
    print(
        f"open files: {result['open_files_first']} -> max {result['open_files_max']}: "
        f"{'ok' if result['open_files_ok'] else 'FAIL'}"
    )
    print(
        f"step time: {result['step_ms_first_third']} ms (first third) -> "
        f"{result['step_ms_last_third']} ms (last third), ratio {result['step_drift']}, "
        f"control (spread of the first third's minutes) {result['step_control_spread']}: "
        f"{'ok' if result['step_ok'] else 'FAIL'}"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "args": vars(args),
                    "minutes": monitor.rows,
                    "verdict": result,
                    "epochs": epochs,
                    "history": history.history,
                },
                f,
                indent=1,
            )
    return 0 if result["rss_ok"] and result["open_files_ok"] and result["step_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
