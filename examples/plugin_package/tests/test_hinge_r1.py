"""The plugin's tests: kerasgan's variant harness runs the checks every built-in
variant passes (build, compiled fit, generate, config, `.keras` and preset round
trips, mixed precision, bad-input errors) on the installed `hinge_r1`.

    pip install ./examples/plugin_package
    pytest examples/plugin_package/tests
"""

import kerasgan
import kerasgan.testing


class TestHingeR1(kerasgan.testing.VariantTestCase):
    variant = "hinge_r1"  # found through the package's `kerasgan.variants` entry point
    init_kwargs = {"base_filters": 16}


def test_hinge_r1_declares_its_loss_and_penalty():
    gan = kerasgan.create("hinge_r1", image_shape=(28, 28, 1), base_filters=16)
    assert gan.adversarial_loss == "hinge"
    assert gan.r1_weight == 1.0
