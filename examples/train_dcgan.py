"""Train DCGAN on real Fashion-MNIST with plain Keras `fit`, then save samples.

python examples/train_dcgan.py --epochs 5
"""

import argparse
import os

import keras

import kerasgan

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument(
    "--variant",
    default="dcgan",
    help="any unconditional variant: dcgan, lsgan, r1gan, wgan_gp, sngan",
)
parser.add_argument("--steps-per-epoch", type=int, default=None, help="default: whole epochs")
parser.add_argument("--out", default=".", help="folder for the samples and the .keras file")
args = parser.parse_args()
os.makedirs(args.out, exist_ok=True)

ds = kerasgan.data.load("fashion_mnist", batch_size=128)  # images in [-1, 1]
gan = kerasgan.create(args.variant, image_shape=(28, 28, 1), latent_dim=128)
gan.compile()  # the paper's Adam settings
gan.fit(
    ds,
    epochs=args.epochs,
    steps_per_epoch=args.steps_per_epoch,
    callbacks=[keras.callbacks.TensorBoard(os.path.join(args.out, "tb"))],
)
kerasgan.utils.save_grid(
    gan.generate(64, seed=0), os.path.join(args.out, f"{args.variant}_samples.png")
)
gan.save(os.path.join(args.out, f"{args.variant}.keras"))
