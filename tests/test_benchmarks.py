"""The benchmark suite's measuring parts: the FLOP counter agrees with a count by
hand, the PyTorch twins are the same networks as the Keras ones, the timing
helper times what it says."""

from __future__ import annotations

import os
import sys

import keras
import numpy as np
import pytest

import kerasgan

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))

import networks  # noqa: E402
import stats  # noqa: E402
import suite  # noqa: E402


def test_profiler_flops_match_the_count_by_hand():
    g, d = networks.kerasio_networks()
    gan = kerasgan.create("dcgan", generator=g, discriminator=d)
    gan.compile(jit_compile=False)
    counted = networks.train_step_flops(gan, 128)
    by_hand = networks.analytic_kerasio_flops(128)["step"]
    # the profiler adds element-wise ops and the optimizer; convs/matmuls dominate
    assert abs(counted - by_hand) / by_hand < 0.02, (counted, by_hand)
    assert 75e9 < counted < 85e9  # the keras.io DCGAN step is ~81 GFLOP by count
    minimal = networks.MinimalGAN(*networks.kerasio_networks())
    minimal.compile()
    assert abs(networks.train_step_flops(minimal, 128) - counted) / counted < 0.01


def test_flops_scale_with_the_batch():
    gan = kerasgan.create("dcgan", image_shape=(28, 28, 1))
    gan.compile(jit_compile=False)
    f64, f128 = networks.train_step_flops(gan, 64), networks.train_step_flops(gan, 128)
    assert 1.95 < f128 / f64 < 2.01


def test_time_fit_times_the_requested_steps():
    gan = kerasgan.create("dcgan", image_shape=(28, 28, 1), base_filters=8)
    gan.compile(jit_compile=False)
    times = suite.time_fit(gan, suite.memory_dataset(4), steps=4, warmup=1)
    assert len(times) == 4 and all(t > 0 for t in times)


def _count(params):
    return sum(int(np.prod(p)) for p in params)


@pytest.mark.parametrize("network", ["kerasio", "dcgan"])
def test_pytorch_twins_are_the_same_networks(network):
    torch = pytest.importorskip("torch")  # optional extra: pip install -e ".[bench]"
    import torch_twins

    if network == "kerasio":
        kg, kd = networks.kerasio_networks()
    else:
        gan = kerasgan.create("dcgan", image_shape=(28, 28, 1))
        kg, kd = gan.generator, gan.discriminator
    tg, td = torch_twins.NETWORKS[network]()
    for keras_net, torch_net in ((kg, tg), (kd, td)):
        assert _count(w.shape for w in keras_net.trainable_weights) == _count(
            p.shape for p in torch_net.parameters()
        )
    z = torch.randn(2, 128)
    assert tuple(tg(z).shape) == (2, 1, 28, 28)
    assert tuple(td(torch.rand(2, 1, 28, 28)).shape) == (2, 1)
    assert keras.ops.shape(kg(np.zeros((2, 128), "float32"))) == (2, 28, 28, 1)


def test_pytorch_twin_runs_in_its_own_process():
    """The suite's PyTorch worker: times the requested steps in a process
    without TensorFlow, with tcmalloc preloaded when installed, and turns a
    failure inside the worker into an error here instead of a hang."""
    pytest.importorskip("torch")
    import twin_process

    twin = twin_process.TwinProcess(preload=twin_process.find_tcmalloc(), channels_last=True)
    try:
        times = twin.measure("dcgan", steps=2)
        assert len(times) == 2 and all(t > 0 for t in times)
        # the twin's model is kept between runs (as the Keras contestants'
        # are), so a later run needs no warm-up of a new model
        assert len(twin.measure("dcgan", steps=3, warmup=1)) == 3
        with pytest.raises(RuntimeError, match="PyTorch worker: KeyError"):
            twin.measure("no-such-network", steps=1)
        assert "channels_last" in twin.describe()
        # only torch: not the driver's TensorFlow (this test's process has it)
        assert twin._ask("imports") == ["torch"]
    finally:
        twin.close()
    assert not twin.is_alive()


def test_batched_matmul_flops_are_counted_by_their_real_shapes():
    """The profiler counts the gradient of the projection discriminator's
    per-example dot product as a 12544 x 12544 product (3 x 40 GFLOP); the
    suite counts it by its shapes, so the projection cGAN costs about what
    SNGAN (the same networks without the projection) costs."""
    sngan = kerasgan.create("sngan", image_shape=(28, 28, 1))
    projection = kerasgan.create("cgan_projection", image_shape=(28, 28, 1), num_classes=10)
    for gan in (sngan, projection):
        gan.compile(jit_compile=False)
    f_sngan = networks.train_step_flops(sngan, 128)
    f_projection = networks.train_step_flops(projection, 128, labels=True)
    assert 1.0 < f_projection / f_sngan < 1.05, (f_projection, f_sngan)


def test_targets_are_checked_against_the_figures():
    report = {
        "machine": {"auto_jit_compile": False},
        "frameworks": {
            "dcgan": {
                "kerasgan": {"spread": 1.05},
                "pytorch": {"spread": 1.04},
                "pytorch_tuned": {"spread": 1.06},
            },
            "kerasio": {"kerasgan": {"spread": 1.05}},
        },
        "ratios": {
            "dcgan": {
                "kerasgan/pytorch": 0.85,
                "kerasgan/pytorch_tuned": 0.95,
                "kerasgan/minimal_keras_same_mode": 1.0,
                "kerasgan_keras_ops/minimal_keras": 1.03,
            },
            # the suite's own report: per-run ratios beside the ratio of medians
            "kerasio": {
                "kerasgan/minimal_keras_same_mode": 1.0,
                "kerasgan/minimal_keras_same_mode (paired)": 1.03,
                "kerasgan_keras_ops/minimal_keras": 1.03,
                "kerasgan_keras_ops/minimal_keras (paired)": 1.01,
                "minimal_keras_again/minimal_keras (paired)": 1.02,
            },
        },
        "variants": [
            {
                "variant": "dcgan",
                "jit_compile": False,
                "policy": "float32",
                "fraction_of_peak": 0.61,
            },
            {"variant": "dcgan", "jit_compile": True, "policy": "float32", "fraction_of_peak": 0.5},
            # against the peak measured beside its runs where the suite has it
            {
                "variant": "lsgan",
                "jit_compile": False,
                "policy": "float32",
                "fraction_of_peak": 0.61,
                "fraction_of_peak_beside": 0.59,
            },
        ],
        "input_pipeline": {"stall_fraction": 0.03},
        "compiled_steps": {
            "kerasio": {
                "non_scalar_instructions": [1936, 1936],
                "non_scalar_equal": True,
                "extra_scalar_instructions": 37,
            }
        },
    }
    targets = suite.check_targets(report)
    met = {t["target"]: t["met"] for t in targets}
    assert met == {
        "dcgan: kerasgan / pytorch <= 0.9 (median)": True,
        "dcgan: kerasgan spread <= pytorch spread": False,
        "dcgan: kerasgan / pytorch_tuned <= 0.9 (median)": False,
        "dcgan: kerasgan spread <= pytorch_tuned spread": True,
        "dcgan: kerasgan/minimal_keras_same_mode <= 1.02": True,
        "dcgan: kerasgan_keras_ops/minimal_keras <= 1.02": False,
        "kerasio: kerasgan/minimal_keras_same_mode <= 1.02": False,
        "kerasio: kerasgan_keras_ops/minimal_keras <= 1.02": True,
        "dcgan default networks, XLA off (auto): >= 60% of the matmul peak": True,
        "lsgan default networks, XLA off (auto): >= 60% of the matmul peak": False,
        "input pipeline stall < 2% of step": False,
    }
    measured = {t["target"]: t["measured"] for t in targets}
    overhead = measured["kerasio: kerasgan_keras_ops/minimal_keras <= 1.02"]
    assert overhead.startswith("1.010") and "1.030" in overhead and "twice: 1.020" in overhead
    assert "compiled: 1936 non-scalar instructions as the minimal step's, +37 scalar" in overhead
    assert "compiled" not in measured["dcgan: kerasgan_keras_ops/minimal_keras <= 1.02"]
    assert (
        "61.0% of the suite's start peak"
        in measured["lsgan default networks, XLA off (auto): >= 60% of the matmul peak"]
    )


def test_paired_ratio_cancels_drift_shared_by_a_run():
    # runs drift by 20%; per-run ratios 1.01, 0.955, 1.042: the median of
    # those is 1.01, while the ratio of the two medians (105 / 110) mixes
    # a's second run with b's third stretch of time
    a = [101.0, 105.0, 125.0]
    b = [100.0, 110.0, 120.0]
    assert stats.paired_ratio(a, b) == pytest.approx(1.01)
    assert stats.paired_ratio(b, a) == pytest.approx(1 / 1.01)
    assert stats.paired_ratio([100.0, 100.0], [100.0, 100.0]) == 1.0
    with pytest.raises(ValueError):
        stats.paired_ratio([1.0, 2.0], [1.0])


def test_spread_summary_separates_drift_from_jitter():
    import spread

    steady_runs = [[0.100] * 9 + [0.110], [0.120] * 9 + [0.132]]  # drift, no jitter
    s = spread.summarize(steady_runs)
    assert s["runs_ms"] == pytest.approx([100.0, 120.0])
    assert s["spread"] == pytest.approx(1.2)
    assert s["jitter_p90_p10"] == pytest.approx(1.1)  # only the one slow step
    assert s["steps_ms"][1] == pytest.approx([120.0] * 9 + [132.0])  # every step kept
    jittery = spread.summarize([[0.1, 0.2] * 5, [0.1, 0.2] * 5])
    assert jittery["spread"] == pytest.approx(1.0)
    assert jittery["jitter_p90_p10"] == pytest.approx(2.0)


def test_suite_summary_reports_median_spread_and_jitter():
    runs = [[0.100] * 9 + [0.150], [0.110] * 9 + [0.165], [0.105] * 10]
    s = stats.summarize(runs)
    assert s["runs_ms"] == pytest.approx([100.0, 110.0, 105.0])
    assert s["median_ms"] == pytest.approx(105.0)
    assert s["spread"] == pytest.approx(1.1)
    assert s["jitter_p90_p10"] == pytest.approx(1.5)  # two runs with one slow step in ten


def test_timed_runs_interleave_blocks_of_equal_duration():
    """The framework comparison's protocol: a discarded warm-up round, runs
    of about the same wall time for every contestant (a faster one runs more
    steps), each run in blocks interleaved across contestants, the order
    rotating by one contestant every run."""
    step_s = {"fast": 0.01, "slow": 0.04, "slowest": 1.0}
    calls = []

    def measure(name, steps, warmup):
        calls.append((name, steps, warmup))
        return [step_s[name]] * steps

    names = ["fast", "slow", "slowest"]
    times, steps_per_run = stats.timed_runs(measure, names, runs=3, run_seconds=0.8, blocks=2)
    assert calls[:3] == [(name, 5, 3) for name in names]  # warm-up round, not in `times`
    timed = calls[3:]
    # 3 runs x 2 blocks, interleaved; run r starts with contestant r
    rotated = [names, ["slow", "slowest", "fast"], ["slowest", "fast", "slow"]]
    assert [name for name, _, _ in timed] == [n for order in rotated for n in order * 2]
    assert all(warmup == 1 for _, _, warmup in timed)
    # 0.4 s per block: 40 and 10 steps; the slowest still gets 3 steps a block
    assert steps_per_run == {"fast": 80, "slow": 20, "slowest": 6}
    for name in names:
        assert [len(run) for run in times[name]] == [steps_per_run[name]] * 3
    assert sum(times["fast"][0]) == pytest.approx(sum(times["slow"][0]))  # equal durations


def test_kerasgan_compiles_to_the_minimal_steps_work():
    """No library overhead, op by op: with Keras' own layers (`fast_layers=False`)
    XLA compiles kerasgan's step to the same instructions on tensors as the
    hand-written minimal step; kerasgan adds only scalar bookkeeping."""
    # the suite's own overhead pair
    gan = suite.kerasgan_model("kerasio", jit=True, fast_layers=False)
    ours = networks.compiled_step_instructions(gan, 16)
    theirs = networks.compiled_step_instructions(suite.minimal_model("kerasio"), 16)
    assert sum(ours[0].values()) > 1000
    # both steps: 2 D updates' and 1 G update's convolutions, forward and backward
    convolutions = sum(n for (op, _), n in ours[0].items() if op == "convolution")
    assert convolutions >= 20, ours[0]
    assert ours[0] == theirs[0], (ours[0] - theirs[0], theirs[0] - ours[0])
    # the loss trackers (running means of the two losses): a few dozen scalar ops
    assert 0 < sum(ours[1].values()) - sum(theirs[1].values()) < 100

    class Logging(networks.MinimalGAN):  # one more reduction over the batch
        def train_step(self, real):
            return {**super().train_step(real), "real_mean": keras.ops.mean(real)}

    logging = Logging(*networks.kerasio_networks())
    logging.compile(jit_compile=True)
    extra = networks.compiled_step_instructions(logging, 16)[0]
    assert extra != theirs[0] and sum((extra - theirs[0]).values()) >= 1


def test_hlo_instructions_split_scalar_bookkeeping_from_work_on_tensors():
    hlo = """HloModule m
%fused (p0: f32[4,8]) -> f32[] {
  %p0 = f32[4,8]{1,0} parameter(0)
  %c = f32[] constant(0)
  ROOT %r = f32[] reduce(%p0, %c), dimensions={0,1}, to_apply=%add
}
ENTRY %main (a: f32[4,8], t: f32[]) -> (f32[4,8], f32[]) {
  %a = f32[4,8]{1,0} parameter(0)
  %t = f32[] parameter(1)
  %one = f32[] constant(1)
  %t2 = f32[] add(%t, %one)
  %m = f32[] fusion(%a), kind=kLoop, calls=%fused
  %y = f32[4,8]{1,0} multiply(%a, %a)
  ROOT %out = (f32[4,8]{1,0}, f32[]) tuple(%y, %t2)
}
"""
    non_scalar, scalar = networks.hlo_instructions(hlo)
    assert non_scalar == {
        ("parameter", "f32[4,8]"): 2,
        ("reduce", "f32[]"): 1,  # a scalar result of a reduction over a tensor
        ("fusion", "f32[]"): 1,
        ("multiply", "f32[4,8]"): 1,
        ("tuple", "(f32[4,8])"): 1,  # written without its scalar elements
    }
    assert scalar == {
        ("constant", "f32[]"): 2,
        ("parameter", "f32[]"): 1,
        ("add", "f32[]"): 1,
    }


def test_input_stall_is_measured_beside_its_control(monkeypatch):
    monkeypatch.setattr(suite, "BATCH", 16)  # the measuring, not the figure: small steps
    out = suite.input_stall(runs=2, run_seconds=0.1, blocks=1)
    assert out["runs"] == 2 and out["steps_per_run"] >= 3
    assert out["memory_ms"] > 0 and out["real_pipeline_ms"] > 0
    assert 0.0 <= out["stall_fraction"] < 1.0
    # two identical in-memory setups: a small figure either way, never a stall of 50%
    assert abs(out["control_stall_fraction"]) < 0.5
    assert 0 < out["pipeline_alone_ms_per_batch"] < out["real_pipeline_ms"]
