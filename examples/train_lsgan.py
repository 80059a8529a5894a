"""Train LSGAN (least-squares loss, Mao et al. 2017) on real Fashion-MNIST.

python examples/train_lsgan.py --epochs 5
"""

import argparse
import os

import kerasgan

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--steps-per-epoch", type=int, default=None, help="default: whole epochs")
parser.add_argument("--out", default=".", help="folder for the samples and the .keras file")
args = parser.parse_args()
os.makedirs(args.out, exist_ok=True)

# The discriminator regresses real images to 1 and fakes to 0 (the paper's a-b-c = 0-1-1).
gan = kerasgan.create("lsgan", image_shape=(28, 28, 1))
gan.compile()  # Adam(2e-4, 0.5), as the paper's LSUN settings
history = gan.fit(
    kerasgan.data.load("fashion_mnist", batch_size=128),
    epochs=args.epochs,
    steps_per_epoch=args.steps_per_epoch,
    callbacks=[kerasgan.callbacks.LossCurves(args.out)],
)
print({k: round(v[-1], 4) for k, v in history.history.items()})
gan.save_sample_grid(os.path.join(args.out, "lsgan_samples.png"), n=64, seed=0)
gan.save(os.path.join(args.out, "lsgan.keras"))
