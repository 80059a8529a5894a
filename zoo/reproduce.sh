#!/usr/bin/env bash
# Reproduces a zoo preset from scratch with the project's own CLI:
#   bash zoo/reproduce.sh dcgan-fashion-mnist      (or wgan-gp-fashion-mnist, cgan-fashion-mnist)
# An interrupted run continues (--resume) when the same command is run again.
# Trains on real Fashion-MNIST (Debian package dataset-fashion-mnist, read offline) and
# rewrites zoo/NAME. Same seed and command as the shipped preset; bit-identical weights
# are not guaranteed across machines (thread scheduling changes float summation order).
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: bash zoo/reproduce.sh PRESET_NAME}
extra=()
batch=128
case "$name" in
  # EMA generator (decay 0.999), batch 64, FID logged every 2 epochs
  dcgan-fashion-mnist)   variant=dcgan;   epochs=20; batch=64; what="DCGAN"
    extra=(--set ema_decay=0.999 --fid-every 2) ;;
  cgan-fashion-mnist)    variant=cgan;    epochs=8; what="Class-conditional GAN" ;;
  wgan-gp-fashion-mnist) variant=wgan_gp; epochs=7; what="WGAN-GP" ;;
  # 32x32 (padded), the CPU configuration, EMA, FID logged per epoch
  r3gan-fashion-mnist)   variant=r3gan;   epochs=20; batch=64; what="R3GAN (CPU configuration)"
    extra=(--pad-to 32 --set base_filters=16 --set max_filters=128 --set blocks_per_stage=1
           --set r1_interval=4 --set ema_decay=0.999 --fid-every 1) ;;
  *) echo "unknown preset $name" >&2; exit 2 ;;
esac
make install data
out=runs/zoo/$variant
# an interrupted run (its backup is there) continues where it stopped
resume=()
if [ -n "$(ls -A "$out/backup" 2>/dev/null)" ]; then resume=(--resume); else rm -rf "$out"; fi
.venv/bin/kerasgan train "$variant" --dataset fashion_mnist --epochs "$epochs" \
  --batch-size "$batch" --seed 0 --samples 100 --out "$out" "${extra[@]}" "${resume[@]}"
.venv/bin/kerasgan zoo export "$out/$variant.keras" "$name" --dataset fashion_mnist \
  --run "$out/run.json" --overwrite \
  --description "$what trained on Fashion-MNIST ($epochs epochs, batch $batch, 2-core CPU)."
# the card's scores: the zoo protocol (10 000 generated vs the 10 000 test images on the
# domain classifier's features; the EMA generator when the preset has one)
ema=()
if grep -q ema_generator.weights.h5 "zoo/$name/metadata.json"; then ema=(--ema); fi
crop=()
for e in "${extra[@]}"; do if [ "$e" = "--pad-to" ]; then crop=(--crop 28); fi; done
.venv/bin/kerasgan eval "$name" --features fashion-mnist-classifier --split test -n 10000 \
  --record --cache-dir runs/feature-cache "${ema[@]}" "${crop[@]}"
