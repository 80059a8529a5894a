"""The variant registry: register, create, get, list_variants and entry-point plugins."""

import importlib
import math
import os
import subprocess
import sys
import textwrap
import warnings

import keras
import numpy as np
import pytest
from support import COMPILED

import kerasgan
from kerasgan import registry

pytestmark = pytest.mark.backends

BUILTIN = ("dcgan", "wgan_gp", "cgan")


@pytest.fixture
def clean_registry():
    """Restores the registry, the plugin state and Keras' custom objects afterwards."""
    saved = dict(registry._REGISTRY)
    saved_errors = dict(registry._PLUGIN_ERRORS)
    saved_loaded = registry._PLUGINS_LOADED
    saved_custom = dict(keras.saving.get_custom_objects())
    saved_modules = set(sys.modules)
    try:
        yield
    finally:
        registry._REGISTRY.clear()
        registry._REGISTRY.update(saved)
        registry._PLUGIN_ERRORS.clear()
        registry._PLUGIN_ERRORS.update(saved_errors)
        registry._PLUGINS_LOADED = saved_loaded
        custom = keras.saving.get_custom_objects()
        for key in set(custom) - set(saved_custom):
            custom.pop(key)
        for name in set(sys.modules) - saved_modules:
            if name.startswith("kg_test_plugin"):
                sys.modules.pop(name)


def _tiny_generator(latent_dim=8, side=4):
    z = keras.Input((latent_dim,))
    x = keras.layers.Dense(side * side)(z)
    x = keras.layers.Reshape((side, side, 1))(x)
    return keras.Model(z, keras.layers.Activation("tanh")(x))


def _tiny_discriminator(side=4):
    images = keras.Input((side, side, 1))
    x = keras.layers.Flatten()(images)
    return keras.Model(images, keras.layers.Dense(1)(x))


# ------------------------------------------------------------------- lookup
def test_builtin_variants_are_listed():
    names = kerasgan.list_variants()
    assert names == sorted(names)
    for name in BUILTIN:
        assert name in names
    details = kerasgan.list_variants(details=True)
    assert isinstance(details, dict)
    assert set(details) == set(names)
    for name in BUILTIN:
        assert isinstance(details[name], str) and details[name].strip()


def test_get_returns_the_builtin_classes():
    assert kerasgan.get("dcgan") is kerasgan.DCGAN
    assert kerasgan.get("wgan_gp") is kerasgan.WGANGP
    assert kerasgan.get("cgan") is kerasgan.CGAN
    for name in BUILTIN:
        assert kerasgan.get(name).variant_name == name


def test_unknown_variant_lists_the_known_ones():
    for call in (
        lambda: kerasgan.get("nope"),
        lambda: kerasgan.create("nope", image_shape=(28, 28, 1)),
    ):
        with pytest.raises(ValueError) as info:
            call()
        message = str(info.value)
        assert "nope" in message
        for name in BUILTIN:
            assert name in message


# ----------------------------------------------------------------- register
def test_register_a_new_variant(clean_registry):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the first registration must not warn

        @kerasgan.register("tmp_variant_xyz")
        class TmpVariantXyz(kerasgan.GANModel):
            description = "A temporary test variant."
            default_adversarial_loss = "least_squares"

    assert TmpVariantXyz.variant_name == "tmp_variant_xyz"
    assert "tmp_variant_xyz" in kerasgan.list_variants()
    assert kerasgan.list_variants(details=True)["tmp_variant_xyz"] == "A temporary test variant."
    assert kerasgan.get("tmp_variant_xyz") is TmpVariantXyz
    gan = kerasgan.create("tmp_variant_xyz", image_shape=(16, 16, 1), latent_dim=8)
    assert isinstance(gan, TmpVariantXyz)
    assert gan.adversarial_loss == "least_squares"
    assert gan.image_shape == (16, 16, 1) and gan.latent_dim == 8
    # Registered with Keras' serialization as kerasgan>ClassName.
    assert keras.saving.get_registered_object("kerasgan>TmpVariantXyz") is TmpVariantXyz


def test_registering_a_name_twice_warns_and_keeps_the_newer_class(clean_registry):
    @kerasgan.register("tmp_variant_xyz")
    class First(kerasgan.GANModel):
        pass

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same class again: no warning
        kerasgan.register("tmp_variant_xyz")(First)

    with pytest.warns(UserWarning, match="tmp_variant_xyz"):

        @kerasgan.register("tmp_variant_xyz")
        class Second(kerasgan.GANModel):
            pass

    assert kerasgan.get("tmp_variant_xyz") is Second


def test_register_rejects_non_ganmodels(clean_registry):
    before = kerasgan.list_variants()
    for obj in (
        object,
        keras.Model,
        lambda: None,
        kerasgan.DCGAN(_tiny_generator(), _tiny_discriminator()),
    ):
        with pytest.raises(TypeError, match="GANModel"):
            kerasgan.register("tmp_variant_bad")(obj)
    for bad_name in ("", None, 3):
        with pytest.raises(ValueError):
            kerasgan.register(bad_name)
    assert kerasgan.list_variants() == before


# ------------------------------------------------------------------- create
def test_create_needs_image_shape():
    with pytest.raises(ValueError, match="image_shape"):
        kerasgan.create("dcgan")


def test_create_unknown_argument_lists_valid_ones():
    with pytest.raises(TypeError) as info:
        kerasgan.create("dcgan", image_shape=(28, 28, 1), base_filter=8)
    message = str(info.value)
    assert "base_filter" in message
    for valid in ("base_filters", "d_steps", "latent_dim", "adversarial_loss"):
        assert valid in message


def test_create_routes_builder_and_model_arguments():
    gan = kerasgan.create(
        "wgan_gp", image_shape=(16, 16, 1), latent_dim=8, base_filters=4, d_steps=2, seed=1
    )
    assert gan.d_steps == 2 and gan.seed == 1 and gan.latent_dim == 8
    assert gan.gradient_penalty_weight == 10.0 and gan.adversarial_loss == "wasserstein"
    first_conv = gan.discriminator.get_layer("down1")
    assert first_conv.filters == 4


def test_create_passes_builder_arguments_through_base_class_kwargs(clean_registry):
    @kerasgan.register("tmp_variant_kwargs")
    class TmpVariantKwargs(kerasgan.GANModel):
        pass  # inherits build_generator(..., **kwargs) -> dcgan_generator

    gan = kerasgan.create("tmp_variant_kwargs", image_shape=(16, 16, 1), base_filters=4)
    assert gan.discriminator.get_layer("down1").filters == 4


def test_create_rejects_num_classes_for_unconditional_variant():
    with pytest.raises(ValueError, match="num_classes"):
        kerasgan.create("dcgan", image_shape=(28, 28, 1), num_classes=10)


def test_create_conditional_variant_needs_num_classes():
    with pytest.raises(ValueError, match="num_classes"):
        kerasgan.create("cgan", image_shape=(16, 16, 1), base_filters=4)
    gan = kerasgan.create("cgan", image_shape=(16, 16, 1), num_classes=3, base_filters=4)
    assert gan.num_classes == 3


@pytest.mark.parametrize("d_steps", [0, -1, 1.5, True])
def test_create_rejects_bad_d_steps(d_steps):
    with pytest.raises(ValueError, match="d_steps"):
        kerasgan.create("dcgan", image_shape=(16, 16, 1), base_filters=4, d_steps=d_steps)


def test_create_with_custom_networks_infers_shapes():
    g, d = _tiny_generator(latent_dim=8, side=4), _tiny_discriminator(side=4)
    gan = kerasgan.create("dcgan", generator=g, discriminator=d)
    assert gan.generator is g and gan.discriminator is d
    assert gan.image_shape == (4, 4, 1)
    assert gan.latent_dim == 8
    samples = gan.generate(3, seed=0)
    assert samples.shape == (3, 4, 4, 1)
    assert np.all(np.abs(samples) <= 1.0)


def test_create_with_mismatched_custom_networks_fails():
    with pytest.raises(ValueError, match="shape"):
        kerasgan.create(
            "dcgan", generator=_tiny_generator(side=4), discriminator=_tiny_discriminator(side=8)
        )


# ------------------------------------------------------------------ plugins
def _pip_install(src, target):
    """A real, offline `pip install --target` of a local package."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _install_plugin(tmp_path, dist, modules, entry_points):
    """Writes a plugin distribution into tmp_path and pip-installs it (offline)."""
    src = tmp_path / f"{dist}_src"
    target = tmp_path / f"{dist}_site"
    src.mkdir()
    for module, code in modules.items():
        (src / f"{module}.py").write_text(textwrap.dedent(code))
    eps = "\n".join(f'{name} = "{value}"' for name, value in entry_points.items())
    py_modules = ", ".join(f'"{m}"' for m in modules)
    (src / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [build-system]
            requires = ["setuptools>=61"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "{dist}"
            version = "0.0.1"

            [project.entry-points."kerasgan.variants"]
            """
        )
        + eps
        + f"\n\n[tool.setuptools]\npy-modules = [{py_modules}]\n"
    )
    _pip_install(src, target)
    return target


def _activate(monkeypatch, target):
    monkeypatch.syspath_prepend(str(target))
    importlib.invalidate_caches()


PLUGIN_MODULE = """
    import kerasgan


    @kerasgan.register("test_plugin_gan")
    class TestPluginGAN(kerasgan.GANModel):
        description = "A GAN from a test plugin."
        default_adversarial_loss = "hinge"
"""


def test_plugin_entry_point_module_registers_and_trains(tmp_path, monkeypatch, clean_registry):
    target = _install_plugin(
        tmp_path,
        "kg-test-plugin",
        {"kg_test_plugin": PLUGIN_MODULE},
        {"test_plugin_gan": "kg_test_plugin"},
    )
    assert "test_plugin_gan" not in kerasgan.list_variants()
    _activate(monkeypatch, target)
    errors = kerasgan.load_plugins(force=True)
    assert "test_plugin_gan" not in errors
    assert "test_plugin_gan" in kerasgan.list_variants()
    assert kerasgan.list_variants(details=True)["test_plugin_gan"] == "A GAN from a test plugin."
    cls = kerasgan.get("test_plugin_gan")
    assert cls.__module__ == "kg_test_plugin" and cls.variant_name == "test_plugin_gan"

    gan = kerasgan.create("test_plugin_gan", image_shape=(28, 28, 1), latent_dim=16)
    assert isinstance(gan, cls)
    assert gan.adversarial_loss == "hinge"
    gan.compile(jit_compile=COMPILED)
    assert gan.jit_compile is (keras.backend.backend() != "torch")
    images = np.random.default_rng(0).uniform(-1, 1, (32, 28, 28, 1)).astype("float32")
    history = gan.fit(images, epochs=1, batch_size=16, verbose=0)
    for key in ("d_loss", "g_loss"):
        assert key in history.history
        assert math.isfinite(history.history[key][-1])

    # Loading again (not forced or forced) keeps the same class without warnings.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert kerasgan.load_plugins() == {}
        kerasgan.load_plugins(force=True)
    assert kerasgan.get("test_plugin_gan") is cls


def test_plugin_entry_point_naming_a_class(tmp_path, monkeypatch, clean_registry):
    module = """
        import kerasgan


        class UndecoratedGAN(kerasgan.GANModel):
            description = "Registered through its entry point name."
            default_adversarial_loss = "least_squares"
    """
    target = _install_plugin(
        tmp_path,
        "kg-test-plugin-cls",
        {"kg_test_plugin_cls": module},
        {"test_plugin_cls_gan": "kg_test_plugin_cls:UndecoratedGAN"},
    )
    _activate(monkeypatch, target)
    assert kerasgan.load_plugins(force=True) == {}
    assert "test_plugin_cls_gan" in kerasgan.list_variants()
    cls = kerasgan.get("test_plugin_cls_gan")
    assert cls.__name__ == "UndecoratedGAN" and cls.__module__ == "kg_test_plugin_cls"
    assert cls.variant_name == "test_plugin_cls_gan"
    gan = kerasgan.create(
        "test_plugin_cls_gan", generator=_tiny_generator(), discriminator=_tiny_discriminator()
    )
    assert isinstance(gan, cls) and gan.adversarial_loss == "least_squares"


# entry-point loading is plain Python, the same on every backend (a pip install: ~20 s)
@pytest.mark.extended_on("jax", "torch")
def test_broken_plugin_is_reported_and_others_still_work(tmp_path, monkeypatch, clean_registry):
    broken = """
        raise ImportError("kg_test_plugin_broken needs a package that is not installed")
    """
    good = """
        import kerasgan


        class GoodNeighbourGAN(kerasgan.GANModel):
            description = "Loads fine next to a broken plugin."
    """
    target = _install_plugin(
        tmp_path,
        "kg-test-plugin-broken",
        {"kg_test_plugin_broken": broken, "kg_test_plugin_good": good},
        {
            "test_plugin_broken": "kg_test_plugin_broken",
            "test_plugin_good": "kg_test_plugin_good:GoodNeighbourGAN",
        },
    )
    _activate(monkeypatch, target)
    with pytest.warns(UserWarning, match="test_plugin_broken"):
        errors = kerasgan.load_plugins(force=True)
    assert set(errors) == {"test_plugin_broken"}
    assert "ImportError" in errors["test_plugin_broken"]
    assert "not installed" in errors["test_plugin_broken"]
    # An unforced call returns the recorded errors without re-importing.
    assert kerasgan.load_plugins() == errors

    names = kerasgan.list_variants()
    assert "test_plugin_broken" not in names
    assert "test_plugin_good" in names
    for name in BUILTIN:
        assert name in names
    with pytest.raises(ValueError, match="test_plugin_broken"):
        kerasgan.get("test_plugin_broken")
    gan = kerasgan.create("dcgan", image_shape=(16, 16, 1), latent_dim=8, base_filters=4)
    assert gan.image_shape == (16, 16, 1)
    assert kerasgan.get("test_plugin_good").variant_name == "test_plugin_good"


EXAMPLE_PLUGIN = os.path.join(os.path.dirname(__file__), "..", "examples", "plugin_package")


def test_example_plugin_package(tmp_path, monkeypatch, clean_registry):
    """The shipped example plugin installs, registers, shows in the CLI, and passes
    its own tests: kerasgan.testing's variant harness, run against the installed
    package in a fresh process on this backend."""
    target = tmp_path / "site"
    _pip_install(EXAMPLE_PLUGIN, target)
    _activate(monkeypatch, target)
    kerasgan.load_plugins(force=True)
    assert "hinge_r1" in kerasgan.list_variants()
    from kerasgan import cli

    assert cli.main(["variants"]) == 0
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")])
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "ignore",
            "--rootdir",
            str(EXAMPLE_PLUGIN),
            os.path.join(str(EXAMPLE_PLUGIN), "tests"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    summary = result.stdout[-3000:] + result.stderr[-2000:]
    assert result.returncode == 0, summary
    # every check of the harness ran and passed (a class of skipped tests would not do)
    assert "9 passed" in result.stdout, summary
    sys.modules.pop("kerasgan_hinge_plugin", None)
