"""Train a non-saturating GAN with the R1 penalty (Mescheder et al. 2018) on Fashion-MNIST.

python examples/train_r1gan.py --epochs 5
python examples/train_r1gan.py --epochs 5 --r1-interval 16   # lazy R1, as StyleGAN2
"""

import argparse
import os

import kerasgan

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--r1-weight", type=float, default=10.0, help="gamma of the paper")
parser.add_argument("--r1-interval", type=int, default=1, help="penalize every k-th D update")
parser.add_argument("--steps-per-epoch", type=int, default=None, help="default: whole epochs")
parser.add_argument("--out", default=".", help="folder for the samples and the .keras file")
args = parser.parse_args()
os.makedirs(args.out, exist_ok=True)

gan = kerasgan.create(
    "r1gan", image_shape=(28, 28, 1), r1_weight=args.r1_weight, r1_interval=args.r1_interval
)
gan.compile()
history = gan.fit(  # logs d_loss, g_loss and the unweighted r1 term
    kerasgan.data.load("fashion_mnist", batch_size=128),
    epochs=args.epochs,
    steps_per_epoch=args.steps_per_epoch,
    callbacks=[kerasgan.callbacks.DivergenceGuard(os.path.join(args.out, "last_good.keras"))],
)
print({k: round(v[-1], 4) for k, v in history.history.items()})
gan.save_sample_grid(os.path.join(args.out, "r1gan_samples.png"), n=64, seed=0)
gan.save(os.path.join(args.out, "r1gan.keras"))
