"""Train SNGAN (spectral normalization, hinge loss) on real Fashion-MNIST, then save samples.

python examples/train_sngan.py --epochs 5
python examples/train_sngan.py --epochs 5 --diffaugment color,translation,cutout
python examples/train_sngan.py --architecture resnet --base-filters 32  # the ResNet defaults
"""

import argparse
import os

import keras

import kerasgan

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--architecture", default="dcgan", choices=["dcgan", "resnet"])
parser.add_argument("--base-filters", type=int, default=64)
parser.add_argument(
    "--diffaugment",
    default=None,
    help="DiffAugment policy for real and fake images, e.g. color,translation,cutout",
)
parser.add_argument("--steps-per-epoch", type=int, default=None, help="default: whole epochs")
parser.add_argument("--out", default=".", help="folder for the samples and the .keras file")
args = parser.parse_args()
os.makedirs(args.out, exist_ok=True)

ds = kerasgan.data.load("fashion_mnist", batch_size=128)  # images in [-1, 1]
gan = kerasgan.create(
    "sngan",
    image_shape=(28, 28, 1),
    architecture=args.architecture,
    base_filters=args.base_filters,
    diffaugment=args.diffaugment,
)
gan.compile()  # the paper's Adam settings for this architecture
gan.fit(
    ds,
    epochs=args.epochs,
    steps_per_epoch=args.steps_per_epoch,
    callbacks=[keras.callbacks.TensorBoard(os.path.join(args.out, "tb"))],
)
kerasgan.utils.save_grid(gan.generate(64, seed=0), os.path.join(args.out, "sngan_samples.png"))
gan.save(os.path.join(args.out, "sngan.keras"))
