#!/usr/bin/env bash
# Reproduces a zoo preset from scratch with the project's own CLI:
#   bash zoo/reproduce.sh dcgan-fashion-mnist      (or wgan-gp-fashion-mnist, cgan-fashion-mnist)
# Trains on real Fashion-MNIST (Debian package dataset-fashion-mnist, read offline) and
# rewrites zoo/NAME. Same seed and command as the shipped preset; bit-identical weights
# are not guaranteed across machines (thread scheduling changes float summation order).
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: bash zoo/reproduce.sh PRESET_NAME}
case "$name" in
  dcgan-fashion-mnist)   variant=dcgan;   epochs=8; what="DCGAN" ;;
  cgan-fashion-mnist)    variant=cgan;    epochs=8; what="Class-conditional GAN" ;;
  wgan-gp-fashion-mnist) variant=wgan_gp; epochs=7; what="WGAN-GP" ;;
  *) echo "unknown preset $name" >&2; exit 2 ;;
esac
make install data
out=runs/zoo/$variant
rm -rf "$out"
.venv/bin/kerasgan train "$variant" --dataset fashion_mnist --epochs "$epochs" \
  --batch-size 128 --seed 0 --samples 100 --out "$out"
.venv/bin/kerasgan zoo export "$out/$variant.keras" "$name" --dataset fashion_mnist \
  --run "$out/run.json" --overwrite \
  --description "$what trained on Fashion-MNIST ($epochs epochs, batch 128, 2-core CPU)."
