"""Train AC-GAN on Fashion-MNIST: the discriminator also classifies; one row per class.

python examples/train_acgan.py --epochs 5
"""

import argparse

import numpy as np

import kerasgan

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--class-loss-weight", type=float, default=1.0)
args = parser.parse_args()

images, labels = kerasgan.data.load_arrays("fashion_mnist")
gan = kerasgan.create(
    "acgan", image_shape=(28, 28, 1), num_classes=10, class_loss_weight=args.class_loss_weight
)
gan.compile(jit_compile=True)
gan.fit(images, labels, batch_size=128, epochs=args.epochs)  # logs d_loss, g_loss, cls_loss
rows = np.repeat(np.arange(10), 10)  # 10 samples of each class, row by row
kerasgan.utils.save_grid(gan.generate(100, labels=rows, seed=0), "acgan_samples.png", ncols=10)
gan.save("acgan.keras")
