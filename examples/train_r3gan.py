"""Train R3GAN (Huang et al. 2024: RpGAN loss, R1 + R2, a modern ResNet) on Fashion-MNIST.

R3GAN's networks take square images whose side is a power of two, so the
28x28 images are centred on a 32x32 background canvas (`pad_to=32`).

python examples/train_r3gan.py --epochs 10              # a configuration for a 2-core CPU
python examples/train_r3gan.py --epochs 10 --gpu-size   # wider networks, for a GPU
"""

import argparse
import os

import kerasgan

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--gpu-size", action="store_true", help="the variant's default widths")
parser.add_argument("--steps-per-epoch", type=int, default=None, help="default: whole epochs")
parser.add_argument("--out", default=".", help="folder for the samples and the .keras file")
args = parser.parse_args()
os.makedirs(args.out, exist_ok=True)

size = (
    {}
    if args.gpu_size
    else {
        "base_filters": 16,  # stage widths 16, 32, 64, 128 at 32, 16, 8, 4 pixels
        "max_filters": 128,
        "blocks_per_stage": 1,
        "r1_interval": 4,  # R1 and R2 every 4th discriminator update, weighted by 4
    }
)
gan = kerasgan.create("r3gan", image_shape=(32, 32, 1), ema_decay=0.999, **size)
gan.compile()
history = gan.fit(  # logs d_loss, g_loss and the unweighted r1 and r2 terms
    kerasgan.data.load("fashion_mnist", batch_size=64, pad_to=32),
    epochs=args.epochs,
    steps_per_epoch=args.steps_per_epoch,
    callbacks=[kerasgan.callbacks.DivergenceGuard(os.path.join(args.out, "last_good.keras"))],
)
print({k: round(v[-1], 4) for k, v in history.history.items()})
gan.save_sample_grid(os.path.join(args.out, "r3gan_samples.png"), n=64, seed=0)  # EMA generator
gan.save(os.path.join(args.out, "r3gan.keras"))
