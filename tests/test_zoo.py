"""The zoo: save/load round trips, checksums, clear errors, and the shipped presets."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from support import judge_probabilities, random_images

import kerasgan
from kerasgan import zoo

SHIPPED = ["dcgan-fashion-mnist", "wgan-gp-fashion-mnist", "cgan-fashion-mnist"]


@pytest.fixture
def tiny_zoo(tmp_path, monkeypatch):
    """A zoo folder on $KERASGAN_ZOO holding one tiny conditional preset."""
    gan = kerasgan.create("cgan", image_shape=(16, 16, 1), num_classes=3, base_filters=4, seed=0)
    gan.compile(jit_compile=False)
    gan.fit(random_images(8, (16, 16, 1)), np.arange(8) % 3, batch_size=4, verbose=0)
    root = tmp_path / "zoo"
    zoo.save(
        gan,
        "tiny-cgan",
        dataset="random",
        description="A tiny test preset.",
        training={"steps": 2},
        class_names=["a", "b", "c"],
        zoo_dir=str(root),
    )
    monkeypatch.setenv(zoo.ZOO_PATH_ENV, str(root))
    return gan, root


def test_save_writes_a_complete_preset(tiny_zoo):
    _, root = tiny_zoo
    folder = root / "tiny-cgan"
    names = sorted(os.listdir(folder))
    assert names == sorted(
        [
            zoo.CONFIG_FILE,
            zoo.GENERATOR_WEIGHTS_FILE,
            zoo.DISCRIMINATOR_WEIGHTS_FILE,
            zoo.METADATA_FILE,
            zoo.CARD_FILE,
            zoo.SAMPLES_FILE,
        ]
    )
    meta = json.loads((folder / zoo.METADATA_FILE).read_text())
    assert meta["variant"] == "cgan" and meta["dataset"] == "random"
    assert meta["image_shape"] == [16, 16, 1] and meta["num_classes"] == 3
    assert meta["class_names"] == ["a", "b", "c"] and meta["training"] == {"steps": 2}
    for name in zoo.CHECKED_FILES:
        assert meta["sha256"][name] == zoo.sha256_of(folder / name)
    assert {"keras", "tensorflow", "kerasgan"} <= set(meta["versions"])
    assert (folder / zoo.SAMPLES_FILE).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    card = (folder / zoo.CARD_FILE).read_text()
    assert "# tiny-cgan" in card and 'kerasgan.zoo.load("tiny-cgan")' in card
    assert not [n for n in os.listdir(root) if n.startswith(".")]  # no temp folders left


def test_load_round_trip(tiny_zoo):
    gan, _ = tiny_zoo
    assert "tiny-cgan" in zoo.list()
    assert zoo.list(details=True)["tiny-cgan"] == "A tiny test preset."
    loaded = zoo.load("tiny-cgan")
    assert type(loaded) is type(gan) and loaded.num_classes == 3
    for a, b in zip(gan.weights, loaded.weights):  # both networks, bit for bit
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # the same images; the summation order of the threaded convolutions may differ (a busy
    # CPU measured 2e-9), so not bit for bit
    np.testing.assert_allclose(
        loaded.generate(6, labels=[0, 1, 2, 0, 1, 2], seed=3),
        gan.generate(6, labels=[0, 1, 2, 0, 1, 2], seed=3),
        rtol=0,
        atol=1e-6,
    )
    # Ready to fine-tune.
    history = loaded.fit(random_images(8, (16, 16, 1)), np.arange(8) % 3, batch_size=4, verbose=0)
    assert np.isfinite(history.history["d_loss"][0])
    assert zoo.info("tiny-cgan")["path"].endswith("tiny-cgan")


def test_corrupt_or_missing_files_give_clear_errors(tiny_zoo):
    _, root = tiny_zoo
    folder = root / "tiny-cgan"
    weights = folder / zoo.GENERATOR_WEIGHTS_FILE
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(zoo.ZooError, match="Checksum mismatch for .*generator.weights.h5"):
        zoo.load("tiny-cgan")
    weights.unlink()
    with pytest.raises(zoo.ZooError, match="missing generator.weights.h5"):
        zoo.load("tiny-cgan")
    (folder / zoo.METADATA_FILE).write_text("{not json")
    with pytest.raises(zoo.ZooError, match="Cannot read .*metadata.json"):
        zoo.load("tiny-cgan")


def test_unknown_and_invalid_names(tiny_zoo, tmp_path):
    with pytest.raises(zoo.ZooError, match=r"Unknown zoo preset 'nope'\. Available: .*tiny-cgan"):
        zoo.load("nope")
    with pytest.raises(zoo.ZooError, match="not a zoo preset"):
        zoo.load(str(tmp_path))
    gan, root = tiny_zoo
    with pytest.raises(zoo.ZooError, match="Invalid preset name"):
        zoo.save(gan, "Bad Name", dataset="x", zoo_dir=str(root))
    with pytest.raises(zoo.ZooError, match="exists; pass overwrite=True"):
        zoo.save(gan, "tiny-cgan", dataset="x", zoo_dir=str(root))


def test_failed_overwrite_keeps_the_old_preset(tiny_zoo, monkeypatch):
    gan, root = tiny_zoo
    before = {n: (root / "tiny-cgan" / n).read_bytes() for n in os.listdir(root / "tiny-cgan")}

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(gan, "save_sample_grid", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        zoo.save(gan, "tiny-cgan", dataset="x", zoo_dir=str(root), overwrite=True)
    after = {n: (root / "tiny-cgan" / n).read_bytes() for n in os.listdir(root / "tiny-cgan")}
    assert after == before
    assert not [n for n in os.listdir(root) if n.startswith(".")]
    zoo.load("tiny-cgan")  # still valid


# ------------------------------------------------------------------ shipped presets
def test_shipped_presets_are_listed_small_and_verified():
    assert set(SHIPPED) <= set(zoo.list())
    for name in SHIPPED:
        meta = zoo.info(name)
        assert meta["dataset"] == "fashion_mnist"
        assert meta["training"]["generator_steps"] >= 1000
        assert meta["training"]["batch_size"] > 0 and "wall_time_s" in meta["training"]
        size = sum(os.path.getsize(os.path.join(meta["path"], f)) for f in os.listdir(meta["path"]))
        assert size < 10 * 2**20, f"{name} is {size / 2**20:.1f} MiB"


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_presets_carry_domain_scores_with_their_protocol(name):
    meta = zoo.info(name)
    scores = meta["scores"]["fashion-mnist-classifier"]
    protocol = scores["protocol"]
    assert protocol["n_fake"] == 10000 and protocol["n_real"] == 10000
    assert protocol["real_split"] == "test" and protocol["real_source"] == "fashion_mnist"
    assert protocol["feature_network"].startswith("domain_classifier[features]-")
    assert protocol["conditional"] == bool(meta["num_classes"])
    floor = scores["reference"]
    # a GAN is measurably worse than held-out real data, on every metric
    assert floor["fid"] < scores["fid"] and floor["kid"] < scores["kid"]
    assert scores["precision"] < floor["precision"] + 0.05
    assert 0 < scores["recall"] <= 1 and 0 < scores["precision"] <= 1
    card = open(os.path.join(meta["path"], "README.md")).read()
    assert "### Features: `fashion-mnist-classifier`" in card
    assert f"| FID | {scores['fid']:.4g} | {floor['fid']:.4g} |" in card


@pytest.mark.parametrize("doc", ["README.md", os.path.join("docs", "zoo.md")])
def test_preset_tables_show_the_scores_of_the_cards(doc):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rows = [line for line in open(os.path.join(root, doc)).read().splitlines() if line[:2] == "| "]
    for name in SHIPPED:
        scores = zoo.info(name)["scores"]["fashion-mnist-classifier"]
        row = [r for r in rows if f"`{name}`" in r.split("|")[1]]
        assert len(row) == 1, f"{doc} has {len(row)} table rows for {name}"
        cells = [c.strip() for c in row[0].strip().strip("|").split("|")]
        expected = [f"{scores[k]:.{d}f}" for k, d in (("fid", 1), ("kid", 1))]
        expected += [f"{scores[k]:.2f}" for k in ("precision", "recall")]
        assert cells[-4:] == expected, f"{doc}: {name} row {cells[-4:]}, its card {expected}"


def test_shipped_domain_classifier_is_verified_and_documented():
    from kerasgan.metrics import ClassifierFeatures, get_feature_network

    net = get_feature_network("fashion-mnist-classifier")  # verifies the sha256
    assert isinstance(net, ClassifierFeatures) and net.feature_dim == 128
    assert "fashion-mnist-classifier" not in zoo.list()  # a feature network, not a GAN
    folder = os.path.join(os.path.dirname(zoo.info("dcgan-fashion-mnist")["path"]))
    meta = json.load(open(os.path.join(folder, "fashion-mnist-classifier", "metadata.json")))
    assert meta["test_examples"] == 10000 and meta["test_accuracy"] > 0.9
    card = open(os.path.join(folder, "fashion-mnist-classifier", "README.md")).read()
    assert f"{meta['test_accuracy']:.2%}" in card


@pytest.mark.slow
def test_shipped_domain_classifier_accuracy_is_what_its_card_says():
    from kerasgan import data
    from kerasgan.metrics import get_feature_network

    net = get_feature_network("fashion-mnist-classifier")
    xt, yt = data.load_arrays("fashion_mnist", "test")
    accuracy = float(np.mean(net.probabilities(xt).argmax(1) == yt))
    folder = os.path.dirname(zoo.info("dcgan-fashion-mnist")["path"])
    meta = json.load(open(os.path.join(folder, "fashion-mnist-classifier", "metadata.json")))
    print("domain classifier test accuracy", accuracy)
    assert abs(accuracy - meta["test_accuracy"]) < 5e-4


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_presets_generate_clothing(name):
    gan = zoo.load(name)
    images = gan.generate(500, seed=0)
    assert images.shape == (500, 28, 28, 1)
    p = judge_probabilities(images)
    marginal = p.mean(0)
    score = float(np.exp(np.mean(np.sum(p * (np.log(p + 1e-12) - np.log(marginal + 1e-12)), 1))))
    print(name, "judge class score", score)  # real test images ~6, noise ~1.1
    assert score > 3.0
    assert len(np.unique(p.argmax(1))) >= 8


@pytest.mark.slow
def test_cgan_preset_draws_the_requested_class():
    """Each class's samples are judged as that class about as often as real test images of it
    (the judge itself confuses pullover/coat/shirt, so the bar is relative to its recall)."""
    from kerasgan import data

    gan = zoo.load("cgan-fashion-mnist")
    names = zoo.info("cgan-fashion-mnist")["class_names"]
    assert names[7] == "Sneaker"
    xt, yt = data.load_arrays("fashion_mnist", "test")
    real_predicted = judge_probabilities(xt).argmax(1)
    hits = []
    for label in range(10):
        real_recall = float(np.mean(real_predicted[yt == label] == label))
        p = judge_probabilities(gan.generate(50, labels=label, seed=1))
        hit = float(np.mean(p.argmax(1) == label))
        hits.append(hit)
        print(f"{names[label]}: samples {hit:.2f}, real images {real_recall:.2f}")
        assert hit >= 0.7 * real_recall, f"{names[label]}: only {hit:.0%} judged as requested"
    assert np.mean(hits) > 0.7  # chance is 0.1


# ------------------------------------------------------- cards that can't drift
@pytest.fixture
def scored_zoo(tmp_path, monkeypatch):
    """A copy of the trained DCGAN preset in a zoo folder on $KERASGAN_ZOO, scored
    with `kerasgan eval --record` on a small sample (FID only)."""
    from kerasgan import cli

    root = tmp_path / "zoo"
    zoo.save(zoo.load("dcgan-fashion-mnist"), "copy", dataset="fashion_mnist", zoo_dir=str(root))
    monkeypatch.setenv(zoo.ZOO_PATH_ENV, str(root))
    argv = ["eval", "copy", "--features", "fashion-mnist-classifier", "--split", "test"]
    argv += ["-n", "400", "--metrics", "fid", "--record", "--cache-dir", str(tmp_path / "c")]
    assert cli.main(argv) == 0
    return root / "copy", tmp_path / "c"


@pytest.mark.slow
def test_recorded_spread_catches_weights_that_drift_from_the_card(scored_zoo, capsys):
    from kerasgan import cli

    folder, cache = scored_zoo
    scores = zoo.info("copy")["scores"]["fashion-mnist-classifier"]
    spread = scores["spread"]
    assert spread["n"] == 400 and len(spread["fids"]) == len(spread["seeds"]) == 8
    assert spread["std"] > 0 and min(spread["fids"]) <= spread["mean"] <= max(spread["fids"])
    # the recorded score (seed 0, same sample sizes) is one more draw of the same spread
    assert abs(scores["fid"] - spread["mean"]) <= 4 * spread["std"]
    card = (folder / zoo.CARD_FILE).read_text()
    assert f"{spread['mean']:.2f} ± {spread['std']:.2f} over 8 draws" in card

    check = zoo.check_scores("copy", cache_dir=cache)
    assert check["ok"] and check["seed"] == 100 and check["n"] == 400
    assert abs(check["fid"] - spread["mean"]) <= 4 * spread["std"] == check["tolerance"]
    assert cli.main(["zoo", "check", "copy", "--cache-dir", str(cache)]) == 0
    assert ": OK" in capsys.readouterr().out

    # the shipped weights replaced by a freshly initialised generator, checksums updated
    fresh = kerasgan.create("dcgan", image_shape=(28, 28, 1), seed=5)
    fresh.generator.save_weights(str(folder / zoo.GENERATOR_WEIGHTS_FILE))
    meta = json.loads((folder / zoo.METADATA_FILE).read_text())
    meta["sha256"][zoo.GENERATOR_WEIGHTS_FILE] = zoo.sha256_of(folder / zoo.GENERATOR_WEIGHTS_FILE)
    (folder / zoo.METADATA_FILE).write_text(json.dumps(meta))
    check = zoo.check_scores("copy", cache_dir=cache)
    assert not check["ok"] and check["fid"] > spread["mean"] + 10 * spread["std"]
    assert cli.main(["zoo", "check", "copy", "--cache-dir", str(cache)]) == 1
    assert "DIFFERS FROM THE CARD" in capsys.readouterr().out


def test_check_scores_needs_a_recorded_spread(tiny_zoo, capsys):
    from kerasgan import cli

    with pytest.raises(zoo.ZooError, match="record one with `kerasgan eval NAME"):
        zoo.check_scores("tiny-cgan")
    assert cli.main(["zoo", "check", "tiny-cgan"]) == 2
    assert "no recorded FID spread" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_presets_score_what_their_cards_say(name, tmp_path_factory):
    """Each shipped preset's FID, re-measured on a new 2 000-image draw, lies within
    4 standard deviations of its card's draws (the card can't drift from its weights)."""
    cache = tmp_path_factory.getbasetemp() / "shipped-feature-cache"
    check = zoo.check_scores(name, cache_dir=cache)
    print(name, check)
    assert check["n"] == 2000 and check["key"] == "fashion-mnist-classifier"
    assert check["ok"], (
        f"{name}: FID {check['fid']:.2f} on a new draw; the card's draws "
        f"{check['mean']:.2f} ± {check['std']:.2f}"
    )


# --------------------------------------------------- presets on the model class
def test_from_preset_on_the_model_class(tmp_path):
    """KerasHub style: `GANModel.from_preset` is `zoo.load`; a variant class
    takes its own presets and refuses another variant's with a clear error;
    `save_to_preset` writes a folder that `from_preset` loads back."""
    direct = zoo.load("cgan-fashion-mnist", compile=False)
    gan = kerasgan.GANModel.from_preset("cgan-fashion-mnist", compile=False)
    assert type(gan) is kerasgan.CGAN
    np.testing.assert_array_equal(
        gan.generate(4, labels=7, seed=0), direct.generate(4, labels=7, seed=0)
    )
    assert type(kerasgan.CGAN.from_preset("cgan-fashion-mnist", compile=False)) is kerasgan.CGAN
    with pytest.raises(ValueError, match=r"is a 'cgan' model, not 'dcgan'.*GANModel.from_preset"):
        kerasgan.DCGAN.from_preset("cgan-fashion-mnist")

    tiny = kerasgan.create("dcgan", image_shape=(16, 16, 1), base_filters=4, seed=0)
    folder = tiny.save_to_preset(str(tmp_path / "my-dcgan"), dataset="random")
    assert os.path.isdir(folder) and os.path.basename(folder) == "my-dcgan"
    loaded = kerasgan.DCGAN.from_preset(folder)
    assert loaded.compiled
    for saved, restored in zip(tiny.weights, loaded.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(saved), np.asarray(restored))
    # the loaded model is compiled (XLA may run `generate`), the original is not:
    # same weights, images equal up to float summation order
    np.testing.assert_allclose(
        loaded.generate(3, seed=1), tiny.generate(3, seed=1), rtol=1e-5, atol=1e-6
    )


def test_list_variants_with_presets():
    assert kerasgan.list_variants(pretrained=True) == ["cgan", "dcgan", "wgan_gp"]
    details = kerasgan.list_variants(details=True, pretrained=True)
    assert sorted(details) == ["cgan", "dcgan", "wgan_gp"] and all(details.values())
    assert len(kerasgan.list_variants()) > 3
