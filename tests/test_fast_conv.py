"""`kerasgan._fast_conv` (sub-pixel transposed convolutions, few-filter
convolutions as matrix products, bias gradients apart from kernel gradients):
the same function, gradients and second-order gradients as Keras' layers, and
a GANModel that uses them trains like one that does not."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasgan
from kerasgan import _fast_conv as fast_conv

# the default DCGAN's batch normalizations (generator, discriminator)
BN_LAYERS = ["project_bn", "up1_bn", "down2_bn"]
# its layers computed differently without XLA ("auto"): the 1-filter
# transposed convolution up2, the batch norms and the discriminator's first
# convolution (the only one with a bias)
GRAPH_LAYERS = ["up2", "project_bn", "up1_bn", "down1", "down2_bn"]
# with XLA ("auto"): the sub-pixel up1 and up2
XLA_LAYERS = ["up1", "up2"]
# all forms (fast_layers=True)
ALL_LAYERS = ["up1", *GRAPH_LAYERS]

CASES = list(
    itertools.product(
        [1, 2, 3, 4, 5],  # kernel
        [2, 3, (2, 1), (1, 3)],  # strides
        ["same", "valid"],
        [(5, 7), (4, 4)],  # input height, width
    )
)


def _rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return np.abs(a - b).max() / (np.abs(b).max() + 1e-6)


@pytest.mark.parametrize("form", ["subpixel", "gemm"])
@pytest.mark.parametrize("kernel,strides,padding,size", CASES)
def test_same_values_and_gradients_as_keras(kernel, strides, padding, size, form):
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(2, *size, 4)).astype("float32"))
    w = tf.constant(rng.normal(size=(kernel, kernel, 3, 4)).astype("float32"))

    def run(op):
        with tf.GradientTape(persistent=True) as outer:
            outer.watch([x, w])
            with tf.GradientTape() as inner:
                inner.watch([x, w])
                y = op(x, w, strides, padding)
                loss = tf.reduce_sum(tf.sin(y))
            gx, gw = inner.gradient(loss, [x, w])
            penalty = tf.reduce_sum(gx**2)  # as in a gradient penalty
        return [y, gx, gw, *outer.gradient(penalty, [x, w])]

    op = fast_conv.conv_transpose if form == "subpixel" else fast_conv.gemm_conv_transpose
    ours = run(op)
    ref = run(keras.ops.conv_transpose)
    assert ours[0].shape == ref[0].shape
    for name, a, b in zip(["output", "dx", "dkernel", "d2x", "d2kernel"], ours, ref):
        assert _rel(a, b) < 1e-5, name
    if form == "subpixel":  # the differentiable sub-pixel form itself agrees as well
        plain = fast_conv.subpixel_conv_transpose(x, w, strides, padding)
        assert _rel(plain, ref[0]) < 1e-5


def test_bad_padding_is_refused():
    x, w = tf.zeros((1, 4, 4, 2)), tf.zeros((3, 3, 2, 2))
    with pytest.raises(ValueError, match="padding must be 'same' or 'valid'"):
        fast_conv.subpixel_conv_transpose(x, w, 2, "causal")


def _network():
    z = keras.Input((8,))
    x = keras.layers.Dense(4 * 4 * 8)(z)
    x = keras.layers.Reshape((4, 4, 8))(x)
    x = keras.layers.Conv2DTranspose(32, 4, strides=2, padding="same", name="fast")(x)
    x = keras.layers.Conv2DTranspose(16, 3, strides=1, padding="same", name="stride1")(x)
    x = keras.layers.Conv2DTranspose(
        16, 3, strides=2, padding="same", activation="relu", name="fast_relu"
    )(x)
    x = keras.layers.Conv2DTranspose(1, 4, strides=1, padding="same", name="few_filters")(x)
    return keras.Model(z, x)


def test_accelerate_only_supported_layers_and_restore(tmp_path):
    keras.utils.set_random_seed(0)
    model = _network()
    z = np.random.default_rng(1).normal(size=(3, 8)).astype("float32")
    before = model(z).numpy()
    config = model.get_config()
    assert fast_conv.accelerate(model) == ["fast", "fast_relu", "few_filters"]
    assert fast_conv.is_accelerated(model.get_layer("fast"))
    assert not fast_conv.is_accelerated(model.get_layer("stride1"))  # no zeros to skip
    # too few filters for the sub-pixel form: a matrix product
    assert model.get_layer("few_filters").filters <= fast_conv.MAX_CONV_FILTERS
    assert fast_conv.supports_few_filters(model.get_layer("few_filters"))
    assert type(model.get_layer("fast")) is keras.layers.Conv2DTranspose
    assert _rel(model(z), before) < 1e-5
    assert model.get_config() == config
    # saved files are plain Keras: they load without kerasgan's rewrite
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert not fast_conv.is_accelerated(loaded.get_layer("fast"))
    np.testing.assert_allclose(loaded(z).numpy(), before, atol=1e-5)
    fast_conv.restore(model)
    assert not fast_conv.is_accelerated(model.get_layer("fast"))
    np.testing.assert_array_equal(model(z).numpy(), before)


def test_unsupported_configurations_keep_keras_call():
    layers = [
        keras.layers.Conv2DTranspose(
            32, 3, strides=2, dilation_rate=1, data_format="channels_first"
        ),
        keras.layers.Conv2DTranspose(32, 3, strides=2, output_padding=1),
        keras.layers.Conv2DTranspose(32, 3, strides=1),
        keras.layers.Conv2D(32, 3, strides=2),
    ]
    for layer in layers:
        assert not fast_conv.supports(layer), layer.get_config()
    for layer in [
        keras.layers.Conv2DTranspose(8, 4, strides=2),  # more than MAX_CONV_FILTERS
        keras.layers.Conv2DTranspose(1, 4, strides=2, data_format="channels_first"),
        keras.layers.Conv2DTranspose(1, 4, strides=2, output_padding=1),
        keras.layers.Conv2DTranspose(1, 4, dilation_rate=2),
    ]:
        assert not fast_conv.supports_few_filters(layer), layer.get_config()
    assert fast_conv.supports_few_filters(keras.layers.Conv2DTranspose(3, 5, strides=3))


@pytest.mark.parametrize("jit", [True, False])
def test_ganmodel_uses_it_and_trains_like_keras(jit):
    """Two epochs with and without the rewrites (convolutions and fused batch
    norm), from the same weights and noise, with and without XLA: the same
    losses and weights (moving statistics included) to float rounding."""
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (32, 28, 28, 1)).astype("float32")
    results = []
    for fast in (True, False):
        keras.utils.set_random_seed(0)
        gan = kerasgan.create("dcgan", image_shape=(28, 28, 1), seed=0)
        gan.compile(jit_compile=jit, fast_layers=fast)
        assert fast_conv.is_accelerated(gan.generator.get_layer("up1")) is fast
        assert fast_conv.is_accelerated(gan.generator.get_layer("up2")) is fast  # 1 channel
        assert gan.get_compile_config()["fast_layers"] is fast
        assert gan.fast_layer_names == (ALL_LAYERS if fast else [])
        history = gan.fit(images, batch_size=32, epochs=2, verbose=0, shuffle=False)
        results.append((history.history, [w.numpy() for w in gan.generator.weights]))
    (h_fast, w_fast), (h_ref, w_ref) = results
    for key in ("d_loss", "g_loss"):
        np.testing.assert_allclose(h_fast[key], h_ref[key], rtol=1e-4)
    for a, b in zip(w_fast, w_ref):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_compile_config_round_trip(tmp_path):
    gan = kerasgan.create("dcgan", image_shape=(28, 28, 1), seed=0)
    gan.compile(fast_layers=False)
    path = tmp_path / "gan.keras"
    gan.save(path)
    loaded = kerasgan.load_model(path)
    assert loaded.get_compile_config()["fast_layers"] is False
    assert loaded.fast_layer_names == []
    assert not fast_conv.is_accelerated(loaded.generator.get_layer("up1"))


def test_mixed_bfloat16():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        layer = keras.layers.Conv2DTranspose(32, 4, strides=2, padding="same")
        x = np.random.default_rng(0).normal(size=(2, 5, 5, 8)).astype("float32")
        ref = layer(x)
        fast_conv.accelerate(layer)
        out = layer(x)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert out.dtype == ref.dtype == "bfloat16" and out.shape == (2, 10, 10, 32)
    assert _rel(tf.cast(out, "float32"), tf.cast(ref, "float32")) < 2e-2


@pytest.mark.parametrize(
    "flags, onednn_env, expected",
    [
        ({"avx2", "fma", "avx512f"}, None, False),  # oneDNN's AVX-512 kernels win
        ({"avx2", "fma", "avx512f"}, "0", True),  # oneDNN off: XLA
        ({"avx2", "fma"}, None, True),  # AVX2: XLA wins
    ],
)
def test_auto_picks_xla_by_cpu(monkeypatch, flags, onednn_env, expected):
    from kerasgan.backend import tensorflow as tf_backend

    monkeypatch.setattr(tf_backend, "cpu_flags", lambda: frozenset(flags))
    monkeypatch.setattr(tf_backend.platform, "machine", lambda: "x86_64")
    monkeypatch.delenv("KERASGAN_CPU_XLA", raising=False)  # tests/conftest.py sets it
    if onednn_env is None:
        monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    else:
        monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", onednn_env)
    assert tf_backend.xla_is_faster() is expected


@pytest.mark.parametrize("flags", [{"avx2", "fma"}, {"avx2", "fma", "avx512f"}])
def test_kerasgan_cpu_xla_overrides_the_choice_on_a_cpu(monkeypatch, flags):
    from kerasgan.backend import tensorflow as tf_backend

    monkeypatch.setattr(tf_backend, "cpu_flags", lambda: frozenset(flags))
    monkeypatch.setattr(tf_backend.platform, "machine", lambda: "x86_64")
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    for value, expected in (("1", True), ("0", False), (" ON ", True), ("false", False)):
        monkeypatch.setenv("KERASGAN_CPU_XLA", value)
        assert tf_backend.xla_is_faster() is expected, value
        gan = kerasgan.create("dcgan", image_shape=(28, 28, 1), base_filters=4, seed=0)
        gan.compile()
        assert gan.jit_compile is expected, value
    monkeypatch.delenv("KERASGAN_CPU_XLA")
    assert tf_backend.xla_is_faster() is ("avx512f" not in flags)
    monkeypatch.setenv("KERASGAN_CPU_XLA", "maybe")
    with pytest.raises(ValueError, match=r"KERASGAN_CPU_XLA='maybe'.*1 \(XLA\) or 0"):
        kerasgan.create("dcgan", image_shape=(28, 28, 1), base_filters=4).compile()


@pytest.mark.parametrize("variant", ["r3gan", "stylegan2"])
def test_auto_keeps_r3gan_and_stylegan2_off_xla_on_a_cpu(monkeypatch, variant):
    """R3GAN's and StyleGAN2's XLA steps are the slower ones on every CPU
    measured: "auto" builds their graph step even where XLA is the machine's
    choice; explicit choices and KERASGAN_CPU_XLA still decide."""
    from kerasgan.backend import tensorflow as tf_backend

    monkeypatch.delenv("KERASGAN_CPU_XLA", raising=False)
    monkeypatch.setattr(tf_backend, "xla_is_faster", lambda strategy=None: True)
    gan = kerasgan.create(variant, image_shape=(16, 16, 1), base_filters=8, max_filters=16)
    dcgan = kerasgan.create("dcgan", image_shape=(16, 16, 1), base_filters=4)
    gan.compile()
    dcgan.compile()
    assert gan.jit_compile is False and dcgan.jit_compile is True
    gan.compile(jit_compile=True)
    assert gan.jit_compile is True
    monkeypatch.setenv("KERASGAN_CPU_XLA", "1")  # the user's choice wins
    gan.compile()
    assert gan.jit_compile is True


@pytest.mark.parametrize("xla_faster", [True, False])
def test_compile_auto_follows_the_machine_and_redecides_on_load(monkeypatch, tmp_path, xla_faster):
    from kerasgan.backend import tensorflow as tf_backend

    monkeypatch.setattr(tf_backend, "xla_is_faster", lambda strategy=None: xla_faster)
    gan = kerasgan.create("dcgan", image_shape=(28, 28, 1), seed=0)
    gan.compile()
    assert gan.jit_compile is xla_faster
    # sub-pixel transposed convolutions exactly when the step is XLA-compiled
    assert fast_conv.is_accelerated(gan.generator.get_layer("up1")) is xla_faster
    # fused batch norm and bias gradients apart exactly when it is not
    assert gan.fast_layer_names == (XLA_LAYERS if xla_faster else GRAPH_LAYERS)
    config = gan.get_compile_config()
    assert config["jit_compile"] == "auto" and config["fast_layers"] == "auto"
    gan.save(tmp_path / "gan.keras")
    monkeypatch.setattr(tf_backend, "xla_is_faster", lambda strategy=None: not xla_faster)
    loaded = kerasgan.load_model(tmp_path / "gan.keras")
    assert loaded.jit_compile is (not xla_faster)
    assert fast_conv.is_accelerated(loaded.generator.get_layer("up1")) is (not xla_faster)
    # explicit choices are kept as they are
    gan.compile(jit_compile=True, fast_layers=False)
    assert gan.jit_compile is True and gan.fast_layer_names == []
    gan.compile(jit_compile=False, fast_layers=True)
    assert gan.jit_compile is False and gan.fast_layer_names == ALL_LAYERS


def test_compile_auto_rewrites_a_to_image_conv_in_both_modes():
    """The keras.io-style generator ends in Conv2D(1, 7): rewritten with and
    without XLA; its 128-filter transposed convolutions only with XLA, the
    discriminator's convolution with a bias only without."""
    z = keras.Input((16,))
    x = keras.layers.Dense(7 * 7 * 32)(z)
    x = keras.layers.Reshape((7, 7, 32))(x)
    x = keras.layers.Conv2DTranspose(32, 4, strides=2, padding="same", name="up")(x)
    x = keras.layers.Conv2D(1, 7, padding="same", activation="tanh", name="to_image")(x)
    generator = keras.Model(z, x)
    images = keras.Input((14, 14, 1))
    y = keras.layers.Conv2D(16, 4, strides=2, padding="same", name="d_conv")(images)
    y = keras.layers.Flatten()(y)
    discriminator = keras.Model(images, keras.layers.Dense(1)(y))
    gan = kerasgan.create("dcgan", generator=generator, discriminator=discriminator, seed=0)
    gan.compile(jit_compile=False)
    assert gan.fast_layer_names == ["to_image", "d_conv"]
    history = gan.fit(np.zeros((16, 14, 14, 1), "float32"), batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["g_loss"]).all()
    gan.compile(jit_compile=True)
    assert gan.fast_layer_names == ["up", "to_image"]


@pytest.mark.parametrize("kwargs", [{"jit_compile": "yes"}, {"fast_layers": None}])
def test_compile_rejects_unknown_choices(kwargs):
    gan = kerasgan.create("dcgan", image_shape=(28, 28, 1), seed=0)
    name = next(iter(kwargs))
    with pytest.raises(ValueError, match=f"{name} must be True, False or 'auto'"):
        gan.compile(**kwargs)


CONV_CASES = list(
    itertools.product(
        [2, 3, (1, 5), 7],  # kernel
        ["same", "valid"],
        [1, 3, 4],  # output channels
    )
)


@pytest.mark.parametrize("kernel,padding,filters", CONV_CASES)
def test_gemm_conv_same_values_and_gradients_as_keras(kernel, padding, filters):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(2, 9, 8, 5)).astype("float32"))
    w = tf.constant(rng.normal(size=(kh, kw, 5, filters)).astype("float32"))

    def run(op):
        with tf.GradientTape(persistent=True) as outer:
            outer.watch([x, w])
            with tf.GradientTape() as inner:
                inner.watch([x, w])
                y = op(x, w)
                loss = tf.reduce_sum(tf.sin(y))
            gx, gw = inner.gradient(loss, [x, w])
            penalty = tf.reduce_sum(gx**2)  # as in a gradient penalty
        return [y, gx, gw, *outer.gradient(penalty, [x, w])]

    ours = run(lambda x, w: fast_conv.gemm_conv(x, w, padding))
    ref = run(lambda x, w: keras.ops.conv(x, w, strides=1, padding=padding))
    assert ours[0].shape == ref[0].shape
    for name, a, b in zip(["output", "dx", "dkernel", "d2x", "d2kernel"], ours, ref):
        # float rounding of sums regrouped over up to 7 * 7 * 5 terms (~1e-5); a
        # wrong tap or shift would be off by O(1)
        assert _rel(a, b) < 5e-5, name


def test_gemm_conv_under_xla_and_bad_padding():
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(3, 10, 10, 8)).astype("float32"))
    w = tf.constant(rng.normal(size=(7, 7, 8, 1)).astype("float32"))
    xla = tf.function(lambda x, w: fast_conv.gemm_conv(x, w, "same"), jit_compile=True)
    assert _rel(xla(x, w), keras.ops.conv(x, w, padding="same")) < 1e-5
    with pytest.raises(ValueError, match="padding must be 'same' or 'valid'"):
        fast_conv.gemm_conv(x, w, "causal")


def test_accelerate_few_filter_convs_only():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((12, 12, 16))
    x = keras.layers.Conv2D(32, 3, padding="same", name="many_filters")(inputs)
    x = keras.layers.Conv2D(3, 3, strides=2, name="strided")(x)
    x = keras.layers.Conv2D(3, 1, name="pointwise")(x)
    x = keras.layers.Conv2D(3, 3, dilation_rate=2, name="dilated")(x)
    x = keras.layers.Conv2DTranspose(32, 4, strides=2, padding="same", name="up")(x)
    x = keras.layers.Conv2D(1, 5, padding="same", activation="tanh", name="to_image")(x)
    model = keras.Model(inputs, x)
    images = np.random.default_rng(1).normal(size=(2, 12, 12, 16)).astype("float32")
    before = model(images).numpy()
    assert fast_conv.accelerate(model, bias=False) == ["up", "to_image"]
    assert _rel(model(images), before) < 1e-5
    # without the transposed-convolution rewrite, an accelerated one is restored
    assert fast_conv.accelerate(model, conv_transpose=False, bias=False) == ["to_image"]
    assert not fast_conv.is_accelerated(model.get_layer("up"))
    assert fast_conv.accelerate(model, conv_transpose=False, conv=False, bias=False) == []
    np.testing.assert_array_equal(model(images).numpy(), before)


BIAS_CASES = [
    # (input channels, filters, kernel, strides, padding, dilation, activation)
    (1, 8, 4, 2, "same", 1, "leaky_relu"),  # a discriminator's first layer
    (11, 8, 4, 2, "same", 1, None),  # ... with 10 label channels (cgan)
    (4, 16, 3, 1, "valid", 1, "tanh"),
    (3, 6, 3, 1, "same", 2, None),
]


def _bias_layer_grads(layer, x):
    """Output, and first and second-order gradients (a gradient penalty) of
    `layer` on `x` with respect to its input and its weights."""
    if not layer.built:
        layer.build(x.shape)
    weights = [layer.kernel, layer.bias]
    with tf.GradientTape(persistent=True) as outer:
        outer.watch(x)
        with tf.GradientTape(persistent=True) as inner:
            inner.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(tf.sin(y))
        gx = inner.gradient(loss, x)
        gk, gb = inner.gradient(loss, weights)
        penalty = tf.reduce_sum(gx**2)
    return [y, gx, gk, gb, *outer.gradient(penalty, weights)]


@pytest.mark.parametrize("cin,filters,kernel,strides,padding,dilation,activation", BIAS_CASES)
def test_bias_form_same_values_and_gradients_as_keras(
    cin, filters, kernel, strides, padding, dilation, activation
):
    keras.utils.set_random_seed(0)
    layer = keras.layers.Conv2D(
        filters,
        kernel,
        strides=strides,
        padding=padding,
        dilation_rate=dilation,
        activation=activation,
        bias_initializer="random_normal",
    )
    x = tf.constant(np.random.default_rng(1).normal(size=(3, 12, 10, cin)).astype("float32"))
    ref = _bias_layer_grads(layer, x)
    assert fast_conv.supports_bias(layer) and not fast_conv.is_accelerated(layer)
    fast_conv.accelerate(layer, conv=False)
    assert fast_conv.is_accelerated(layer)
    ours = _bias_layer_grads(layer, x)
    names = ["output", "dx", "dkernel", "dbias", "d2kernel", "d2bias"]
    for name, a, b in zip(names, ours, ref):
        assert a is not None and b is not None, name
        assert _rel(a, b) < 1e-5, name


def test_bias_form_keeps_the_bias_gradient_apart_from_the_kernel_gradient():
    """What the form is for: no `BiasAddGrad` in the traced gradient (which
    TensorFlow's oneDNN pass would merge with the kernel gradient into the
    slow `Conv2DBackpropFilterWithBias`), the forward still one `BiasAdd`
    after the convolution (which TensorFlow fuses into it)."""
    layer = keras.layers.Conv2D(8, 4, strides=2, padding="same")
    layer.build((None, 8, 8, 1))

    def op_types(accelerated):
        if accelerated:
            fast_conv.accelerate(layer)
        else:
            fast_conv.restore(layer)

        @tf.function
        def step(x):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(layer(x))
            return tape.gradient(loss, layer.trainable_variables)

        graph = step.get_concrete_function(tf.TensorSpec((2, 8, 8, 1))).graph
        return {op.type for op in graph.get_operations()}

    keras_ops, ours = op_types(False), op_types(True)
    assert {"BiasAdd", "BiasAddGrad", "Conv2DBackpropFilter"} <= keras_ops
    assert {"BiasAdd", "Conv2DBackpropFilter", "Sum"} <= ours
    assert "BiasAddGrad" not in ours


def test_bias_form_mixed_bfloat16_sums_in_float32():
    """Under mixed_bfloat16 the bias gradient is summed in float32: it agrees
    with the float32 layer's. (TensorFlow's own bfloat16 `BiasAddGrad` on CPU
    sums in bfloat16 and stalls: over these 4096 positions every entry came
    out 256 instead of ~3900.)"""
    x = tf.constant(np.random.default_rng(0).normal(size=(64, 16, 16, 1)).astype("float32"))
    keras.utils.set_random_seed(0)
    reference = keras.layers.Conv2D(16, 4, strides=2, padding="same")
    ref = _bias_layer_grads(reference, x)[:4]
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        layer = keras.layers.Conv2D(16, 4, strides=2, padding="same")
        layer.build(x.shape)
        layer.set_weights(reference.get_weights())
        fast_conv.accelerate(layer)
        ours = _bias_layer_grads(layer, x)[:4]
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert ours[0].dtype == "bfloat16"
    assert ours[3].dtype == "float32"  # the bias variable's gradient
    # the kernel gradient is TensorFlow's own bfloat16 convolution gradient, whose accumulation
    # depends on the CPU: 4.8e-2 on an AVX2 machine, within 2e-2 on an AVX-512 one
    bounds = {"output": 2e-2, "dx": 2e-2, "dkernel": 1e-1, "dbias": 2e-2}
    for name, a, b in zip(["output", "dx", "dkernel", "dbias"], ours, ref):
        error = _rel(tf.cast(a, "float32"), b)
        assert error < bounds[name], (name, error)


def test_bias_form_skips_layers_without_bias_or_channels_first():
    assert not fast_conv.supports_bias(keras.layers.Conv2D(8, 3, use_bias=False))
    assert not fast_conv.supports_bias(keras.layers.Conv2D(8, 3, data_format="channels_first"))
    assert not fast_conv.supports_bias(keras.layers.Conv2DTranspose(8, 3))
    assert not fast_conv.supports_bias(keras.layers.Dense(8))


@pytest.mark.parametrize("form", ["gemm_conv", "gemm_conv_transpose"])
def test_matrix_product_forms_round_the_same_in_every_trace(form):
    """The same model gives bit-identical images whether its function was
    traced for a fixed batch size, a variable one, or runs eagerly (a saved
    and reloaded model's samples equal the original's): TensorFlow's graph
    optimizer regroups chains of adds only when shapes are static, so the
    forms sum their taps in one reduction."""
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(3, 14, 14, 32)).astype("float32"))
    if form == "gemm_conv":
        w = tf.constant(rng.normal(size=(7, 7, 32, 1)).astype("float32"))

        def op(x, w):
            return fast_conv.gemm_conv(x, w, "same")

    else:
        w = tf.constant(rng.normal(size=(4, 4, 1, 32)).astype("float32"))

        def op(x, w):
            return fast_conv.gemm_conv_transpose(x, w, 2, "same")

    eager = op(x, w).numpy()
    static = tf.function(op)(x, w).numpy()
    variable = tf.function(
        op, input_signature=[tf.TensorSpec((None, 14, 14, 32)), tf.TensorSpec(w.shape)]
    )(x, w).numpy()
    np.testing.assert_array_equal(static, eager)
    np.testing.assert_array_equal(variable, eager)
