"""Train a projection-discriminator cGAN (spectral norm, conditional batch norm) on
Fashion-MNIST and draw one row per class.

python examples/train_cgan_projection.py --epochs 5
python examples/train_cgan_projection.py --epochs 5 --diffaugment translation,cutout
"""

import argparse
import os

import numpy as np

import kerasgan

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--architecture", default="dcgan", choices=["dcgan", "resnet"])
parser.add_argument("--diffaugment", default=None, help="e.g. color,translation,cutout")
parser.add_argument("--steps-per-epoch", type=int, default=None, help="default: whole epochs")
parser.add_argument("--out", default=".", help="folder for the samples and the .keras file")
args = parser.parse_args()
os.makedirs(args.out, exist_ok=True)

images, labels = kerasgan.data.load_arrays("fashion_mnist")
gan = kerasgan.create(
    "cgan_projection",
    image_shape=(28, 28, 1),
    num_classes=10,
    architecture=args.architecture,
    diffaugment=args.diffaugment,
)
gan.compile()
gan.fit(images, labels, batch_size=128, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch)
rows = np.repeat(np.arange(10), 10)  # 10 samples of each class, row by row
kerasgan.utils.save_grid(
    gan.generate(100, labels=rows, seed=0),
    os.path.join(args.out, "cgan_projection_samples.png"),
    ncols=10,
)
gan.save(os.path.join(args.out, "cgan_projection.keras"))
