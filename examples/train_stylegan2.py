"""Train StyleGAN2 (Karras et al. 2020) on Fashion-MNIST padded to 32x32.

StyleGAN2's networks take square images whose side is a power of two, so the
28x28 images are centred on a 32x32 background canvas (`pad_to=32`).

python examples/train_stylegan2.py --epochs 10              # a configuration for a 2-core CPU
python examples/train_stylegan2.py --epochs 10 --gpu-size   # the paper's widths, for a GPU
"""

import argparse
import os

import kerasgan

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--gpu-size", action="store_true", help="the paper's 512-channel networks")
parser.add_argument("--steps-per-epoch", type=int, default=None, help="default: whole epochs")
parser.add_argument("--out", default=".", help="folder for the samples and the .keras file")
args = parser.parse_args()
os.makedirs(args.out, exist_ok=True)

size = (
    {}
    if args.gpu_size
    else {
        "base_filters": 32,  # channels 32, 64, 128, 128 at 32, 16, 8, 4 pixels
        "max_filters": 128,
        "w_dim": 128,
        "mapping_layers": 2,  # the ADA paper's mapping depth for small datasets
    }
)
# EMA generator (the ADA paper's ramped-up half-life), lazy R1 and path length,
# adaptive augmentation (ADA, on by default for StyleGAN2; ada=None turns it off)
gan = kerasgan.create("stylegan2", image_shape=(32, 32, 1), latent_dim=128, **size)
gan.compile()
history = gan.fit(  # logs d_loss, g_loss, r1 and pl (averaged where computed), ada_p
    kerasgan.data.load("fashion_mnist", batch_size=64, pad_to=32),
    epochs=args.epochs,
    steps_per_epoch=args.steps_per_epoch,
    callbacks=[kerasgan.callbacks.DivergenceGuard(os.path.join(args.out, "last_good.keras"))],
)
print({k: round(v[-1], 4) for k, v in history.history.items()})
gan.save_sample_grid(os.path.join(args.out, "stylegan2_samples.png"), n=64, seed=0)  # EMA
gan.save(os.path.join(args.out, "stylegan2.keras"))
