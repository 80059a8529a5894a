"""Model cards (`README.md`) for zoo presets, written from their metadata."""

from __future__ import annotations


def _table(rows) -> str:
    lines = ["| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows if v not in (None, "", [], {})]
    return "\n".join(lines)


def write_model_card(path, metadata: dict) -> None:
    """Writes the model card of a preset from its `metadata.json` content."""
    name = metadata["name"]
    training = metadata.get("training") or {}
    scores = metadata.get("scores") or {}
    classes = metadata.get("class_names")
    conditional = bool(metadata.get("num_classes"))
    example_label = 7 if conditional and metadata["num_classes"] > 7 else 0
    label_arg = f", labels={example_label}" if conditional else ""
    cli_label = f" --labels {example_label}" if conditional else ""

    parts = [
        f"# {name}",
        "",
        metadata.get("description", ""),
        "",
        "![samples](samples.png)",
        "",
        f"Sample grid: `generate(..., seed={metadata['sample_grid']['seed']})`"
        + (", one row per class." if conditional else "."),
        "",
        "## Use",
        "",
        "```python",
        "import kerasgan",
        f'gan = kerasgan.zoo.load("{name}")            # verifies sha256, offline',
        f"images = gan.generate(16{label_arg}, seed=0)   # numpy, [-1, 1]",
        "```",
        "",
        "```bash",
        f"kerasgan sample {name} -n 16{cli_label} -o samples.png",
        "```",
        "",
        "## Model",
        "",
        _table(
            [
                ("variant", f"`{metadata['variant']}`"),
                ("image shape", tuple(metadata["image_shape"])),
                ("latent size", metadata["latent_dim"]),
                ("classes", ", ".join(f"{i}: {c}" for i, c in enumerate(classes or []))),
            ]
        ),
        "",
        "## Training",
        "",
        _table([("dataset", metadata["dataset"])] + [(k, v) for k, v in training.items()]),
        "",
        "Reproduce from scratch: `bash zoo/reproduce.sh " + name + "` (same command and seed).",
        "",
        "## Scores",
        "",
    ]
    if scores:
        parts += [_table(sorted(scores.items())), ""]
    else:
        parts += [
            "No scores measured yet (FID/KID/precision-recall come with kerasgan.metrics).",
            "",
        ]
    versions = metadata.get("versions") or {}
    parts += [
        "## Provenance",
        "",
        _table(
            [("created", metadata.get("created"))]
            + [(k, v) for k, v in versions.items()]
            + [(f"sha256 {f}", f"`{h}`") for f, h in metadata["sha256"].items()]
        ),
        "",
        "## Limitations",
        "",
        "Trained briefly on a 2-core CPU: samples are recognisable but far from the state of the "
        "art; they reproduce the biases of the training set and are not real photographs.",
        "",
    ]
    with open(path, "w") as f:
        f.write("\n".join(parts))
