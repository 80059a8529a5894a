"""Train a projection-discriminator cGAN (spectral norm, conditional batch norm) on
Fashion-MNIST and draw one row per class.

python examples/train_cgan_projection.py --epochs 5
python examples/train_cgan_projection.py --epochs 5 --diffaugment translation,cutout
"""

import argparse

import numpy as np

import kerasgan

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--architecture", default="dcgan", choices=["dcgan", "resnet"])
parser.add_argument("--diffaugment", default=None, help="e.g. color,translation,cutout")
args = parser.parse_args()

images, labels = kerasgan.data.load_arrays("fashion_mnist")
gan = kerasgan.create(
    "cgan_projection",
    image_shape=(28, 28, 1),
    num_classes=10,
    architecture=args.architecture,
    diffaugment=args.diffaugment,
)
gan.compile(jit_compile=True)
gan.fit(images, labels, batch_size=128, epochs=args.epochs)
rows = np.repeat(np.arange(10), 10)  # 10 samples of each class, row by row
kerasgan.utils.save_grid(
    gan.generate(100, labels=rows, seed=0), "cgan_projection_samples.png", ncols=10
)
gan.save("cgan_projection.keras")
