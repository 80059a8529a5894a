"""Train WGAN-GP (Gulrajani et al. 2017) on Fashion-MNIST, with a moving-average generator.

python examples/train_wgan_gp.py --epochs 5
python examples/train_wgan_gp.py --epochs 5 --d-steps 5 --gp-weight 10
"""

import argparse
import os

import kerasgan

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--d-steps", type=int, default=5, help="critic updates per G update")
parser.add_argument("--gp-weight", type=float, default=10.0, help="lambda of the paper")
parser.add_argument("--steps-per-epoch", type=int, default=None, help="default: whole epochs")
parser.add_argument("--out", default=".", help="folder for the samples and the .keras file")
args = parser.parse_args()
os.makedirs(args.out, exist_ok=True)

gan = kerasgan.create(
    "wgan_gp",
    image_shape=(28, 28, 1),
    d_steps=args.d_steps,
    gradient_penalty_weight=args.gp_weight,
)
gan.compile()  # Adam(1e-4, 0.5, 0.9); the critic has no batch norm
history = gan.fit(  # logs d_loss (the critic's), g_loss and the unweighted gp term
    kerasgan.data.load("fashion_mnist", batch_size=64),
    epochs=args.epochs,
    steps_per_epoch=args.steps_per_epoch,
    callbacks=[
        kerasgan.callbacks.EMA(0.999),
        kerasgan.callbacks.SampleGrid(os.path.join(args.out, "grids")),  # EMA samples
    ],
)
print({k: round(v[-1], 4) for k, v in history.history.items()})
gan.save_sample_grid(os.path.join(args.out, "wgan_gp_samples.png"), n=64, seed=0, ema=True)
gan.save(os.path.join(args.out, "wgan_gp.keras"))
