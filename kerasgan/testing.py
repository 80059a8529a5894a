"""A test harness for variant authors: the checks every built-in variant passes.

One call checks that a registered variant builds, trains with a compiled
`fit`, generates, survives `get_config`/`from_config`, a `.keras` round trip
(with both optimizers' state) and a preset round trip, trains in mixed
precision, and answers bad input with kerasgan's errors, on whichever Keras
backend runs the tests:

    >>> import kerasgan.testing
    >>> kerasgan.testing.run_variant_test("my_gan", base_filters=16)

or, one test per check (pytest or unittest collects the subclass):

    >>> class TestMyGAN(kerasgan.testing.VariantTestCase):
    ...     variant = "my_gan"
    ...     init_kwargs = {"base_filters": 16}

Each check raises `AssertionError` naming the variant and what failed. The
harness needs no test framework; it trains on random images, so a run takes
seconds for DCGAN-sized networks (pass narrow widths in the keyword arguments
for big ones).
"""

from __future__ import annotations

import math
import os
import tempfile
from typing import Any

import keras
import numpy as np

from kerasgan.gan_model import GANModel
from kerasgan.registry import get

__all__ = ["VariantChecker", "VariantTestCase", "run_variant_test"]

NUM_CLASSES = 10

#: The checks `run_variant_test` runs, in order.
CHECKS = (
    "build",
    "fit",
    "generate",
    "config_round_trip",
    "saving_round_trip",
    "preset_round_trip",
    "mixed_precision",
    "bad_inputs",
)


def _default_jit_compile() -> bool | str:
    # XLA on TensorFlow, jax.jit on JAX; Keras' PyTorch trainer has no compiled step
    return "auto" if keras.backend.backend() == "torch" else True


def _weights(model: keras.Model, trainable: bool = False) -> list[np.ndarray]:
    weights = model.trainable_weights if trainable else model.weights
    return [keras.ops.convert_to_numpy(v).copy() for v in weights]


def _changed(before: list[np.ndarray], after: list[np.ndarray]) -> bool:
    return any(not np.array_equal(a, b) for a, b in zip(before, after))


def _iterations(optimizer: keras.optimizers.Optimizer) -> int:
    return int(keras.ops.convert_to_numpy(optimizer.iterations))


class VariantChecker:
    """The harness' checks for one variant, sharing one trained model.

    Args:
        variant: a registered variant name, or its `GANModel` subclass.
        image_shape: images to build for; default `(28, 28, 1)`, or the
            next power-of-two square if the variant refuses that shape.
        num_classes: for a conditional variant (default 10); ignored
            for unconditional ones.
        batch_size: training batch size; `fit` runs two steps.
        jit_compile: for `compile`; default: compiled where the backend
            compiles (XLA on TensorFlow, `jax.jit` on JAX), eager on PyTorch.
        jit_compile_after_load: `jit_compile` for training on after the
            `.keras` round trip and for mixed precision (default: as
            `jit_compile`); `False` saves a second long XLA compile.
        run_eagerly_after_load: run those steps eagerly (`run_eagerly=True`):
            no trace at all, the quickest start for a large network on
            TensorFlow, where their subject is the saved state and the
            dtypes, not the compiled step.
        **init_kwargs: passed to `kerasgan.create` (network widths, ...).
    """

    def __init__(
        self,
        variant: str | type[GANModel],
        image_shape: tuple[int, int, int] | None = None,
        num_classes: int | None = NUM_CLASSES,
        batch_size: int = 8,
        jit_compile: bool | str | None = None,
        jit_compile_after_load: bool | str | None = None,
        run_eagerly_after_load: bool = False,
        **init_kwargs: Any,
    ) -> None:
        if isinstance(variant, str):
            self.cls = get(variant)
        elif isinstance(variant, type) and issubclass(variant, GANModel):
            self.cls = variant
        else:
            raise TypeError(
                "variant must be a registered variant name or a GANModel subclass; "
                f"got {variant!r}."
            )
        self.name = self.cls.variant_name or self.cls.__name__
        self.image_shape = tuple(image_shape) if image_shape else self._default_shape()
        self.num_classes = num_classes if self.cls.conditional else None
        self.batch_size = int(batch_size)
        self.jit_compile = _default_jit_compile() if jit_compile is None else jit_compile
        self.jit_compile_after_load = (
            self.jit_compile if jit_compile_after_load is None else jit_compile_after_load
        )
        self.run_eagerly_after_load = bool(run_eagerly_after_load)
        self.init_kwargs = dict(init_kwargs)
        self._trained: GANModel | None = None

    # ------------------------------------------------------------- helpers
    def _default_shape(self) -> tuple:
        try:
            return tuple(self.cls.check_image_shape((28, 28, 1)))
        except ValueError:
            return (32, 32, 1)

    def _fail(self, check: str, message: str) -> AssertionError:
        return AssertionError(f"[{self.name}: {check}] {message}")

    def _expect(self, condition: bool, check: str, message: str) -> None:
        if not condition:
            raise self._fail(check, message)

    def create(self, **overrides: Any) -> GANModel:
        """A fresh model of the variant with the harness' settings."""
        kwargs = {**self.init_kwargs, **overrides}
        if self.num_classes is not None:
            kwargs.setdefault("num_classes", self.num_classes)
        kwargs.setdefault("seed", 1)
        return self.cls.create(image_shape=self.image_shape, **kwargs)

    def data(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray | None]:
        """`n` random images in [-1, 1] (and labels for a conditional variant)."""
        rng = np.random.default_rng(seed)
        x = rng.uniform(-1.0, 1.0, (n,) + self.image_shape).astype("float32")
        y = None
        if self.num_classes is not None:
            y = rng.integers(0, self.num_classes, n).astype("int32")
        return x, y

    def _labels(self, n: int) -> dict:
        return {"labels": np.arange(n) % self.num_classes} if self.num_classes else {}

    @property
    def trained(self) -> GANModel:
        """The model after `check_fit` (run on first use)."""
        if self._trained is None:
            self.check_fit()
        assert self._trained is not None
        return self._trained

    # --------------------------------------------------------------- checks
    def check_build(self) -> GANModel:
        """Default networks build for the image shape; the shapes fit together."""
        gan = self.create()
        shape = self.image_shape
        self._expect(gan.image_shape == shape, "build", f"image_shape {gan.image_shape} != {shape}")
        images = gan.generate(3, seed=0)
        self._expect(
            images.shape == (3,) + shape and images.dtype == np.float32,
            "build",
            f"generate(3) gave {images.shape} {images.dtype}, expected (3,) + {shape} float32",
        )
        self._expect(
            bool(np.all(np.abs(images) <= 1.0)),
            "build",
            f"images outside [-1, 1]: [{images.min()}, {images.max()}] (end the generator in tanh)",
        )
        inputs: Any = images
        if self.num_classes is not None:
            inputs = [images, np.zeros((3, 1), "int32")]
        logits = keras.ops.convert_to_numpy(gan.discriminator(inputs))
        self._expect(
            logits.shape == (3, 1), "build", f"discriminator gives {logits.shape}, expected (3, 1)"
        )
        if "latent_dim" not in self.init_kwargs:
            self._expect(
                gan.latent_dim == self.cls.default_latent_dim,
                "build",
                f"latent_dim {gan.latent_dim} != the variant's default "
                f"{self.cls.default_latent_dim}",
            )
        return gan

    def check_fit(self) -> keras.callbacks.History:
        """A compiled `fit` of two steps updates both networks with finite losses."""
        gan = self.create()
        gan.compile(jit_compile=self.jit_compile)
        g_before = _weights(gan.generator, trainable=True)
        d_before = _weights(gan.discriminator, trainable=True)
        steps = 2
        x, y = self.data(steps * self.batch_size)
        history = gan.fit(x, y, batch_size=self.batch_size, epochs=1, verbose=0)
        if keras.backend.backend() != "torch" and self.jit_compile is True:
            self._expect(gan.jit_compile is True, "fit", "jit_compile=True was not kept")
        expected = {"d_loss", "g_loss"}
        if gan.gradient_penalty_weight > 0:
            expected.add("gp")
        if gan.r1_weight > 0:
            expected.add("r1")
        missing = expected - set(history.history)
        self._expect(not missing, "fit", f"metrics {sorted(missing)} missing from the history")
        for key, values in history.history.items():
            self._expect(
                all(math.isfinite(v) for v in values), "fit", f"{key} not finite: {values}"
            )
        self._expect(
            _changed(g_before, _weights(gan.generator, trainable=True)),
            "fit",
            "the generator did not change",
        )
        self._expect(
            _changed(d_before, _weights(gan.discriminator, trainable=True)),
            "fit",
            "the discriminator did not change",
        )
        g_iter, d_iter = _iterations(gan.g_optimizer), _iterations(gan.d_optimizer)
        self._expect(
            g_iter == steps and d_iter == steps * gan.d_steps,
            "fit",
            f"{steps} steps with d_steps={gan.d_steps} made {g_iter} generator and {d_iter} "
            f"discriminator updates; expected {steps} and {steps * gan.d_steps}",
        )
        self._trained = gan
        return history

    def check_generate(self) -> None:
        """`generate`: shapes, [-1, 1], seeds reproduce, `predict` agrees, labels follow."""
        gan = self.trained
        a = gan.generate(5, seed=11, **self._labels(5))
        self._expect(
            a.shape == (5,) + self.image_shape and a.dtype == np.float32,
            "generate",
            f"generate(5) gave {a.shape} {a.dtype}",
        )
        self._expect(
            a.min() >= -1.0 and a.max() <= 1.0,
            "generate",
            f"images outside [-1, 1]: [{a.min()}, {a.max()}]",
        )
        b = gan.generate(5, seed=11, **self._labels(5))
        self._expect(np.array_equal(a, b), "generate", "the same seed gave different images")
        c = gan.generate(5, seed=12, **self._labels(5))
        self._expect(not np.array_equal(a, c), "generate", "different seeds gave the same images")
        self._expect(
            not np.array_equal(gan.generate(5), gan.generate(5)),
            "generate",
            "without a seed, two calls gave the same images",
        )
        z = np.random.default_rng(11).standard_normal((5, gan.latent_dim)).astype("float32")
        inputs: Any = z if self.num_classes is None else (z, np.arange(5) % self.num_classes)
        p = np.asarray(gan.predict(inputs, verbose=0))
        self._expect(
            np.allclose(p, a, atol=1e-6), "generate", "predict(z) differs from generate(seed)"
        )
        if self.num_classes is None:
            try:
                gan.generate(2, labels=1)
            except ValueError as e:
                self._expect("unconditional" in str(e), "generate", f"unclear error: {e}")
            else:
                raise self._fail("generate", "labels accepted by an unconditional model")
        else:
            two = gan.generate(4, labels=2, seed=5)
            seven = gan.generate(4, labels=[7 % self.num_classes] * 4, seed=5)
            self._expect(
                not np.allclose(two, seven), "generate", "the label does not change the image"
            )

    def check_config_round_trip(self) -> None:
        """`from_config(get_config())` rebuilds the same model: same config, same
        weight shapes, and with the weights copied, the same images."""
        gan = self.trained
        config = gan.get_config()
        clone = type(gan).from_config(config)
        self._expect(type(clone) is type(gan), "config", f"from_config made {type(clone)}")
        self._expect(
            keras.tree.map_structure(str, clone.get_config())
            == keras.tree.map_structure(str, config),
            "config",
            "get_config() of the rebuilt model differs",
        )
        for net in ("generator", "discriminator"):
            src, dst = getattr(gan, net), getattr(clone, net)
            shapes = [tuple(v.shape) for v in src.weights]
            self._expect(
                shapes == [tuple(v.shape) for v in dst.weights],
                "config",
                f"the rebuilt {net} has other weights",
            )
            dst.set_weights(src.get_weights())
        clone.compile(jit_compile=gan.jit_compile)  # the same programme makes the images
        labels = self._labels(4)
        self._expect(
            np.array_equal(gan.generate(4, seed=3, **labels), clone.generate(4, seed=3, **labels)),
            "config",
            "the rebuilt model with the same weights makes other images",
        )

    def check_saving_round_trip(self, directory: str | None = None) -> GANModel:
        """A `.keras` file keeps the images, both optimizers' state and the noise
        stream; the loaded model trains on."""
        gan = self.trained
        with tempfile.TemporaryDirectory(dir=directory) as tmp:
            path = os.path.join(tmp, f"{self.name}.keras")
            gan.save(path)
            loaded = keras.saving.load_model(path)
        self._expect(type(loaded) is type(gan), "saving", f"loaded a {type(loaded)}")
        labels = self._labels(8)
        self._expect(
            np.array_equal(loaded.generate(8, seed=7, **labels), gan.generate(8, seed=7, **labels)),
            "saving",
            "the loaded model makes other images for the same seed",
        )
        self._expect(
            loaded.compiled and loaded.jit_compile == gan.jit_compile,
            "saving",
            "the loaded model is not compiled as the saved one",
        )
        for role in ("d_optimizer", "g_optimizer"):
            a, b = getattr(gan, role), getattr(loaded, role)
            self._expect(
                len(a.variables) == len(b.variables) > 2,
                "saving",
                f"{role}: {len(a.variables)} variables saved, {len(b.variables)} loaded",
            )
            for va, vb in zip(a.variables, b.variables):
                self._expect(
                    np.array_equal(keras.ops.convert_to_numpy(va), keras.ops.convert_to_numpy(vb)),
                    "saving",
                    f"{role} variable {va.path} differs after loading",
                )
        self._expect(
            np.array_equal(
                keras.ops.convert_to_numpy(loaded.seed_generator.state),
                keras.ops.convert_to_numpy(gan.seed_generator.state),
            ),
            "saving",
            "the noise generator's state was not kept",
        )
        # "auto" is resolved by compile(); the loaded model was compiled as saved
        if self.jit_compile_after_load not in ("auto", loaded.jit_compile):
            loaded.jit_compile = self.jit_compile_after_load
        if self.run_eagerly_after_load:
            loaded.run_eagerly = True
        g_iter = _iterations(loaded.g_optimizer)
        before = _weights(loaded.generator, trainable=True)
        x, y = self.data(2 * self.batch_size, seed=3)
        history = loaded.fit(x, y, batch_size=self.batch_size, epochs=1, verbose=0)
        self._expect(
            _iterations(loaded.g_optimizer) == g_iter + 2,
            "saving",
            "the loaded model's optimizer did not continue counting",
        )
        self._expect(
            _changed(before, _weights(loaded.generator, trainable=True)),
            "saving",
            "the loaded model did not train",
        )
        self._expect(
            all(math.isfinite(v) for v in history.history["d_loss"]),
            "saving",
            f"d_loss not finite after loading: {history.history['d_loss']}",
        )
        return loaded

    def check_preset_round_trip(self, directory: str | None = None) -> None:
        """`save_to_preset` writes a folder that `from_preset` loads, on
        `GANModel` and on the variant's class, with the same images."""
        gan = self.trained
        with tempfile.TemporaryDirectory(dir=directory) as tmp:
            folder = gan.save_to_preset(os.path.join(tmp, f"{self.name.lower()}-test"))
            for cls in (GANModel, type(gan)):
                loaded = cls.from_preset(folder, compile=False)
                labels = self._labels(4)
                self._expect(
                    np.array_equal(
                        loaded.generate(4, seed=2, **labels), gan.generate(4, seed=2, **labels)
                    ),
                    "preset",
                    f"{cls.__name__}.from_preset gives other images than the saved model",
                )

    def check_mixed_precision(self, policy: str = "mixed_bfloat16") -> None:
        """Under a mixed policy the layers compute in the low precision, a step
        trains with finite losses, and images stay float32 in [-1, 1]."""
        low = policy.removeprefix("mixed_")
        previous = keras.mixed_precision.global_policy().name
        keras.mixed_precision.set_global_policy(policy)
        try:
            gan = self.create()
            for net in (gan.generator, gan.discriminator):
                dtypes = {
                    layer.compute_dtype
                    for layer in net._flatten_layers(include_self=False)
                    if layer.weights and not isinstance(layer, keras.layers.BatchNormalization)
                }
                self._expect(
                    low in dtypes, "mixed precision", f"no {net.name} layer computes in {low}"
                )
            gan.compile(
                jit_compile=self.jit_compile_after_load, run_eagerly=self.run_eagerly_after_load
            )
            x, y = self.data(2 * self.batch_size)
            history = gan.fit(x, y, batch_size=self.batch_size, epochs=1, verbose=0).history
            for key, values in history.items():
                self._expect(
                    all(math.isfinite(v) for v in values),
                    "mixed precision",
                    f"{key} not finite under {policy}: {values}",
                )
            images = gan.generate(4, seed=0, **self._labels(4))
            self._expect(
                images.dtype == np.float32 and np.abs(images).max() <= 1.0,
                "mixed precision",
                f"images {images.dtype} in [{images.min()}, {images.max()}]",
            )
        finally:
            keras.mixed_precision.set_global_policy(previous)

    def check_bad_inputs(self) -> None:
        """Wrong images, labels and arguments get kerasgan's clear `ValueError`s,
        and leave the model as it was."""
        gan = self.trained
        before = _weights(gan)
        g_iter = _iterations(gan.g_optimizer)
        h, w, c = self.image_shape
        x, y = self.data(4)
        cases: list[tuple[str, Any, Any, str]] = [
            ("images without a channel axis", x[..., 0], y, "channel axis"),
            ("images of another size", self.data(4)[0][:, : h // 2, : w // 2], y, "resize"),
            ("uint8 images", np.zeros((4, h, w, c), "uint8"), y, "127.5 - 1"),
        ]
        if self.num_classes is None:
            cases.append(
                ("labels for an unconditional model", x, np.zeros(4, "int32"), "unconditional")
            )
        else:
            cases.append(("no labels for a conditional model", x, None, "labels"))
            bad = np.full(4, self.num_classes, "int32")
            cases.append(("labels out of range", x, bad, f"[0, {self.num_classes - 1}]"))
        for what, images, labels, expected in cases:
            try:
                gan.fit(images, labels, epochs=1, verbose=0)
            except ValueError as e:
                self._expect(
                    expected in str(e),
                    "bad inputs",
                    f"{what}: the error does not say {expected!r}: {e}",
                )
            else:
                raise self._fail("bad inputs", f"fit accepted {what}")
        for n in (0, -1, 2.5):
            try:
                gan.generate(n)  # type: ignore[arg-type]
            except ValueError as e:
                self._expect("positive integer" in str(e), "bad inputs", f"generate({n!r}): {e}")
            else:
                raise self._fail("bad inputs", f"generate({n!r}) was accepted")
        self._expect(
            not _changed(before, _weights(gan)) and _iterations(gan.g_optimizer) == g_iter,
            "bad inputs",
            "a refused input changed the model",
        )

    def run_all(self, checks: tuple[str, ...] = CHECKS) -> None:
        """Runs `checks` (default: all, in `CHECKS` order)."""
        unknown = set(checks) - set(CHECKS)
        if unknown:
            raise ValueError(f"Unknown checks {sorted(unknown)}; choose from {list(CHECKS)}.")
        for check in CHECKS:
            if check in checks:
                getattr(self, f"check_{check}")()


def run_variant_test(
    variant: str | type[GANModel],
    *,
    checks: tuple[str, ...] = CHECKS,
    **kwargs: Any,
) -> None:
    """Runs the harness' checks on `variant` (see `VariantChecker` for the
    keyword arguments); raises `AssertionError` on the first failure.

    Example:
        >>> kerasgan.testing.run_variant_test("hinge_r1", base_filters=16)
    """
    VariantChecker(variant, **kwargs).run_all(checks)


class VariantTestCase:
    """A base class with one test method per check, for pytest or unittest.

    Set `variant` (and optionally `init_kwargs`, `image_shape`,
    `num_classes`, `batch_size`, `jit_compile`) on a subclass named `Test...`;
    the trained model is shared by the subclass' tests.

    Example:
        >>> class TestHingeR1(kerasgan.testing.VariantTestCase):
        ...     variant = "hinge_r1"
        ...     init_kwargs = {"base_filters": 16}
    """

    variant: str | type[GANModel] | None = None
    init_kwargs: dict[str, Any] = {}
    image_shape: tuple[int, int, int] | None = None
    num_classes: int | None = NUM_CLASSES
    batch_size: int = 8
    jit_compile: bool | str | None = None
    jit_compile_after_load: bool | str | None = None
    run_eagerly_after_load: bool = False

    _checkers: dict[type, VariantChecker] = {}

    @classmethod
    def checker(cls) -> VariantChecker:
        """The subclass' `VariantChecker` (one per class, so one trained model)."""
        if cls.variant is None:
            raise TypeError(f"{cls.__name__}: set `variant = 'name'` on the test class.")
        if cls not in VariantTestCase._checkers:
            VariantTestCase._checkers[cls] = VariantChecker(
                cls.variant,
                image_shape=cls.image_shape,
                num_classes=cls.num_classes,
                batch_size=cls.batch_size,
                jit_compile=cls.jit_compile,
                jit_compile_after_load=cls.jit_compile_after_load,
                run_eagerly_after_load=cls.run_eagerly_after_load,
                **cls.init_kwargs,
            )
        return VariantTestCase._checkers[cls]

    def test_build(self) -> None:
        self.checker().check_build()

    def test_fit(self) -> None:
        self.checker().check_fit()

    def test_generate(self) -> None:
        self.checker().check_generate()

    def test_config_round_trip(self) -> None:
        self.checker().check_config_round_trip()

    def test_saving_round_trip(self) -> None:
        self.checker().check_saving_round_trip()

    def test_preset_round_trip(self) -> None:
        self.checker().check_preset_round_trip()

    def test_mixed_precision(self) -> None:
        self.checker().check_mixed_precision()

    def test_bad_inputs(self) -> None:
        self.checker().check_bad_inputs()
