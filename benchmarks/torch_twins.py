"""PyTorch twins of the benchmark networks, for the kerasgan / PyTorch time ratio.

Same layers, shapes, losses and optimizer as their Keras versions in
`benchmarks/networks.py` (NCHW, PyTorch's native layout; "same" paddings
written out so every feature map has the Keras shape); one discriminator and
one generator update per step, non-saturating loss, Adam(2e-4, 0.5, 0.999).
Only imported when torch is installed (`pip install -e ".[bench]"`).
"""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn

LATENT = 128


def kerasio_networks():
    """The keras.io-style DCGAN (28x28x1, latent 128)."""
    generator = nn.Sequential(
        nn.Linear(LATENT, 7 * 7 * 128),
        nn.LeakyReLU(0.2),
        nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 128, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(128, 128, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(128, 1, 7, padding=3),
        nn.Tanh(),
    )
    discriminator = nn.Sequential(
        nn.Conv2d(1, 64, 3, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 3, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.AdaptiveMaxPool2d(1),
        nn.Flatten(),
        nn.Linear(128, 1),
    )
    return generator, discriminator


def dcgan_networks():
    """kerasgan's default DCGAN at 28x28x1 (`kerasgan.create("dcgan", ...)`)."""
    generator = nn.Sequential(
        nn.Linear(LATENT, 7 * 7 * 128, bias=False),
        nn.Unflatten(1, (128, 7, 7)),
        nn.BatchNorm2d(128, eps=1e-3, momentum=0.01),
        nn.ReLU(),
        nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(64, eps=1e-3, momentum=0.01),
        nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1),
        nn.Tanh(),
    )
    discriminator = nn.Sequential(
        nn.Conv2d(1, 64, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(128, eps=1e-3, momentum=0.01),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(7 * 7 * 128, 1),
    )
    return generator, discriminator


NETWORKS = {"kerasio": kerasio_networks, "dcgan": dcgan_networks}


class Trainer:
    """A twin network with its optimizers, kept between runs (as the Keras
    contestants' models are): `run(steps, warmup)` trains and times.

    `channels_last`: weights and activations in NHWC memory layout
    (`torch.channels_last`), which PyTorch's CPU performance guide recommends
    for convolutions (oneDNN's native layout; no reorders around each conv).
    The data: `pool` distinct random batches, cycled."""

    def __init__(self, network, batch_size=128, seed=0, channels_last=False, pool=16):
        torch.manual_seed(seed)
        self.batch_size, self.channels_last = batch_size, channels_last
        self.generator, self.discriminator = NETWORKS[network]()
        if channels_last:
            self.generator = self.generator.to(memory_format=torch.channels_last)
            self.discriminator = self.discriminator.to(memory_format=torch.channels_last)
        self.g_opt = torch.optim.Adam(self.generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.d_opt = torch.optim.Adam(self.discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.bce = nn.BCEWithLogitsLoss()
        self.data = torch.rand(pool, batch_size, 1, 28, 28) * 2 - 1
        self.ones = torch.ones(batch_size, 1)
        self.zeros = torch.zeros(batch_size, 1)
        self.i = 0

    def step(self):
        real = self.data[self.i % len(self.data)]
        self.i += 1
        if self.channels_last:
            real = real.contiguous(memory_format=torch.channels_last)
        generator, discriminator = self.generator, self.discriminator
        z = torch.randn(self.batch_size, LATENT)
        with torch.no_grad():
            fake = generator(z)
        self.d_opt.zero_grad(set_to_none=True)
        d_loss = self.bce(discriminator(real), self.ones) + self.bce(
            discriminator(fake), self.zeros
        )
        d_loss.backward()
        self.d_opt.step()
        self.g_opt.zero_grad(set_to_none=True)
        z = torch.randn(self.batch_size, LATENT)
        g_loss = self.bce(discriminator(generator(z)), self.ones)
        g_loss.backward()
        self.g_opt.step()
        return d_loss.item(), g_loss.item()  # sync, as Keras' logs are

    def run(self, steps, warmup=1):
        """Per-step wall times (s) of `steps` training steps after `warmup`."""
        times = []
        for i in range(steps + warmup):
            t = time.perf_counter()
            self.step()
            if i >= warmup:
                times.append(time.perf_counter() - t)
        return times


def matmul_gflops(n=2048, repeats=10):
    """float32 matmul throughput through PyTorch (median of `repeats`)."""
    a, b = torch.rand(n, n), torch.rand(n, n)
    a @ b
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t)
    return 2 * n**3 / statistics.median(times) / 1e9
