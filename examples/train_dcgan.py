"""Train DCGAN on real Fashion-MNIST with plain Keras `fit`, then save samples.

python examples/train_dcgan.py --epochs 5
"""

import argparse

import keras

import kerasgan

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--variant", default="dcgan", help="dcgan or wgan_gp")
args = parser.parse_args()

ds = kerasgan.data.load("fashion_mnist", batch_size=128)  # images in [-1, 1]
gan = kerasgan.create(args.variant, image_shape=(28, 28, 1), latent_dim=128)
gan.compile(jit_compile=True)  # the paper's Adam settings
gan.fit(ds, epochs=args.epochs, callbacks=[keras.callbacks.TensorBoard("runs/tb")])
kerasgan.utils.save_grid(gan.generate(64, seed=0), f"{args.variant}_samples.png")
gan.save(f"{args.variant}.keras")
