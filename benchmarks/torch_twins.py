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
    """The keras.io-style DCGAN of issue 5 (28x28x1, latent 128)."""
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


def measure(network, batch_size=128, steps=20, warmup=3, threads=None, seed=0, channels_last=False):
    """Per-step wall times (s) of `steps` training steps after `warmup` steps.

    `channels_last`: weights and activations in NHWC memory layout
    (`torch.channels_last`), which PyTorch's CPU performance guide recommends
    for convolutions (oneDNN's native layout; no reorders around each conv)."""
    torch.manual_seed(seed)
    if threads:
        torch.set_num_threads(threads)
    generator, discriminator = NETWORKS[network]()
    if channels_last:
        generator = generator.to(memory_format=torch.channels_last)
        discriminator = discriminator.to(memory_format=torch.channels_last)
    g_opt = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    data = torch.rand(steps + warmup, batch_size, 1, 28, 28) * 2 - 1
    ones = torch.ones(batch_size, 1)
    zeros = torch.zeros(batch_size, 1)

    def step(real):
        if channels_last:
            real = real.contiguous(memory_format=torch.channels_last)
        z = torch.randn(batch_size, LATENT)
        with torch.no_grad():
            fake = generator(z)
        d_opt.zero_grad(set_to_none=True)
        d_loss = bce(discriminator(real), ones) + bce(discriminator(fake), zeros)
        d_loss.backward()
        d_opt.step()
        g_opt.zero_grad(set_to_none=True)
        z = torch.randn(batch_size, LATENT)
        g_loss = bce(discriminator(generator(z)), ones)
        g_loss.backward()
        g_opt.step()
        return d_loss.item(), g_loss.item()  # sync, as Keras' logs are

    times = []
    for i in range(steps + warmup):
        t = time.perf_counter()
        step(data[i])
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
