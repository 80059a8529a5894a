"""MetricCallback in a real `fit`, and the `kerasgan eval` command."""

from __future__ import annotations

import argparse
import importlib
import json
import math

import keras
import numpy as np
import pytest
from support import QUICK_STEP, make_gan

import kerasgan
from kerasgan import cli, data
from kerasgan.metrics import ClassifierFeatures, build_domain_classifier

pytestmark = [
    pytest.mark.backends,
    pytest.mark.filterwarnings(
        "ignore:frechet_distance. singular:RuntimeWarning",
        "ignore:Can save best model only with fid available",
        "ignore:Early stopping conditioned on metric",
    ),
]


@pytest.fixture(scope="module")
def real_images():
    return data.load_arrays("fashion_mnist", "test")[0][:64]


def tiny_classifier():
    keras.utils.set_random_seed(0)
    return build_domain_classifier(filters=(4, 8, 8), feature_dim=16)


def tiny_gan():
    gan = make_gan("dcgan", base_filters=4, latent_dim=16, seed=0)
    gan.compile(jit_compile=QUICK_STEP)
    return gan


class LogRecorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.keys = []

    def on_epoch_end(self, epoch, logs=None):
        self.keys.append(sorted(logs))


@pytest.fixture
def count_computations(monkeypatch):
    module = importlib.import_module("kerasgan.metrics.evaluate")
    calls, original = [], module._compute_real
    monkeypatch.setattr(module, "_compute_real", lambda *a: calls.append(a[2]) or original(*a))
    return calls


def test_fid_in_history_checkpoint_and_early_stopping(tmp_path, real_images, count_computations):
    gan = tiny_gan()
    net = ClassifierFeatures(tiny_classifier())
    fid = kerasgan.callbacks.MetricCallback("fid", real=real_images, feature_net=net, n=64)
    best = tmp_path / "best.keras"
    checkpoint = keras.callbacks.ModelCheckpoint(
        best, monitor="fid", mode="min", save_best_only=True
    )
    stopping = keras.callbacks.EarlyStopping(monitor="fid", mode="min", patience=5)
    callbacks = [fid, checkpoint, stopping]
    history = gan.fit(real_images, batch_size=32, epochs=2, verbose=0, callbacks=callbacks)
    values = history.history["fid"]
    assert len(values) == 2 and all(math.isfinite(v) and v >= 0 for v in values)
    assert [epoch for epoch, _ in fid.values] == [1, 2] and [v for _, v in fid.values] == values
    assert checkpoint.best == stopping.best == min(values)  # both saw the values
    assert best.is_file() and keras.saving.load_model(best).generate(2, seed=0).shape[0] == 2
    assert fid.protocol["n_fake"] == 64 and fid.protocol["feature_network"] == net.name
    gan.fit(real_images, batch_size=32, epochs=1, verbose=0, callbacks=[fid])
    assert len(count_computations) == 1  # real statistics: once, across epochs and fits
    assert fid.measure() == pytest.approx(fid.values[-1][1])  # same noise, same weights


def test_every_and_callback_order(real_images):
    gan = tiny_gan()
    net = ClassifierFeatures(tiny_classifier())
    before, after = LogRecorder(), LogRecorder()
    metric = kerasgan.callbacks.MetricCallback(
        "recall", real=real_images, feature_net=net, every=2, n=64, name="rec"
    )
    too_early = keras.callbacks.EarlyStopping(monitor="rec", mode="max", patience=9)
    in_order = keras.callbacks.EarlyStopping(monitor="rec", mode="max", patience=9)
    callbacks = [too_early, before, metric, after, in_order]
    history = gan.fit(real_images, batch_size=32, epochs=2, verbose=0, callbacks=callbacks)
    assert [epoch for epoch, _ in metric.values] == [2]  # epoch 1 skipped
    assert len(history.history["rec"]) == 1 and 0 <= history.history["rec"][0] <= 1
    assert [keys.count("rec") for keys in after.keys] == [0, 1]
    assert not any("rec" in keys for keys in before.keys)
    # Order matters: only the callback placed after MetricCallback saw the value.
    assert in_order.best == metric.values[0][1] and too_early.best in (None, -np.inf)

    logs = {}
    metric.repeat_last = True
    metric.on_epoch_end(2, logs)  # epoch 3: skipped, the last value is repeated
    assert logs == {"rec": metric.values[0][1]} and len(metric.values) == 1


def test_metric_callback_argument_errors(real_images):
    net = ClassifierFeatures(tiny_classifier())
    with pytest.raises(ValueError, match="unknown metric 'pr'"):
        kerasgan.callbacks.MetricCallback("pr", real=real_images, feature_net=net)
    with pytest.raises(ValueError, match="needs real="):
        kerasgan.callbacks.MetricCallback("fid", feature_net=net)
    with pytest.raises(ValueError, match="every must be >= 1"):
        kerasgan.callbacks.MetricCallback("fid", real=real_images, feature_net=net, every=0)


# -------------------------------------------------------------------------- the CLI
@pytest.fixture(scope="module")
def model_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("eval")
    tiny_gan().save(folder / "gan.keras")
    tiny_classifier().save(folder / "clf.keras")
    return folder


def test_cli_eval_prints_a_table_and_writes_json(model_files, capsys):
    out = model_files / "scores.json"
    code = cli.main(
        [
            "eval",
            str(model_files / "gan.keras"),
            "--dataset",
            "fashion_mnist",
            "--split",
            "test",
            "-n",
            "64",
            "--batch-size",
            "32",
            "--features",
            str(model_files / "clf.keras"),
            "--json",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "64 generated vs 64 real images of fashion_mnist (test)" in printed
    for label in ("FID", "KID", "precision", "recall", "IS"):
        assert f"  {label} " in printed
    record = json.loads(out.read_text())
    assert {"fid", "kid", "kid_std", "precision", "recall", "is", "is_std"} <= set(record)
    assert record["protocol"]["n_fake"] == 64 and record["protocol"]["real_split"] == "test"
    assert record["versions"]["keras"] == keras.__version__ and record["dataset"] == "fashion_mnist"
    assert f"{record['fid']:.4f}" in printed


@pytest.mark.parametrize(
    "args, message",
    [
        (["--metrics", "fid,bogus"], "--metrics: unknown metric(s) bogus"),
        (["--features", "no-such-net"], "Unknown feature network 'no-such-net'"),
        (["--features", "inception"], "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"),
        (["--ema"], "needs an EMA generator"),
        (["--crop", "32"], "--crop: cannot crop 28x28 images to 32x32"),
    ],
)
def test_cli_eval_errors_are_one_line(model_files, capsys, monkeypatch, tmp_path, args, message):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # no InceptionV3 weights there
    argv = ["eval", str(model_files / "gan.keras"), "--dataset", "fashion_mnist", "-n", "8"]
    argv += ["--split", "test", "--features", str(model_files / "clf.keras")]
    assert cli.main(argv + args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("kerasgan: error:") and "\n" not in err and message in err


def test_cli_eval_crop(model_files, capsys):
    argv = ["eval", str(model_files / "gan.keras"), "--dataset", "fashion_mnist", "-n", "16"]
    argv += ["--split", "test", "--features", str(model_files / "clf.keras"), "--metrics", "fid"]
    assert cli.main(argv + ["--crop", "24x20"]) == 0
    assert "central 24x20 crop" in capsys.readouterr().out
    assert cli._crop_arg("28") == (28, 28)
    for bad in ("0", "28x", "a", "1x2x3"):
        with pytest.raises(argparse.ArgumentTypeError, match="expected N or HxW"):
            cli._crop_arg(bad)


def test_cli_eval_needs_a_dataset_for_a_model_file(model_files, capsys):
    assert cli.main(["eval", str(model_files / "gan.keras"), "--features", "x"]) == 2
    assert "Pass --dataset" in capsys.readouterr().err


def test_cli_eval_record_stores_scores_in_the_preset_and_card(model_files, tmp_path, monkeypatch):
    root = tmp_path / "zoo"
    kerasgan.zoo.save(tiny_gan(), "tiny", dataset="fashion_mnist", zoo_dir=str(root))
    monkeypatch.setenv(kerasgan.zoo.ZOO_PATH_ENV, str(root))
    weights_hash = kerasgan.zoo.info("tiny")["sha256"]
    argv = ["eval", "tiny", "--split", "test", "-n", "64", "--batch-size", "32", "--record"]
    assert cli.main(argv + ["--features", str(model_files / "clf.keras")]) == 0
    meta = kerasgan.zoo.info("tiny")
    scores = meta["scores"]["clf"]  # keyed by the feature network's name
    assert {"fid", "kid", "precision", "recall", "is", "protocol", "reference"} <= set(scores)
    assert scores["protocol"]["n_fake"] == 64 and scores["protocol"]["real_split"] == "test"
    # the floor: 64 real *train* images against the same 64 real test images
    floor = scores["reference"]
    assert "real `train` images" in floor["description"]
    assert floor["fid"] < scores["fid"]  # an untrained generator is worse than real data
    assert scores["command"].startswith("kerasgan eval tiny")
    card = (root / "tiny" / "README.md").read_text()
    assert "### Features: `clf`" in card and f"| FID | {scores['fid']:.4g} |" in card
    assert f"{floor['fid']:.4g}" in card and "64 generated images" in card
    # the checksummed files are untouched and the preset still loads
    assert meta["sha256"] == weights_hash
    kerasgan.zoo.load("tiny", compile=False)
    # a second record under another key keeps the first
    kerasgan.zoo.record_scores("tiny", "other", {"fid": 1.0, "protocol": scores["protocol"]})
    assert set(kerasgan.zoo.info("tiny")["scores"]) == {"clf", "other"}


def test_cli_eval_record_needs_a_preset(model_files, capsys):
    argv = ["eval", str(model_files / "gan.keras"), "--dataset", "fashion_mnist", "--record"]
    assert cli.main(argv + ["--features", str(model_files / "clf.keras")]) == 2
    assert "--record writes into a zoo preset" in capsys.readouterr().err
    with pytest.raises(kerasgan.zoo.ZooError, match="expects the dict of kerasgan.metrics"):
        kerasgan.zoo.record_scores("anything", "k", {"fid": 1.0})
