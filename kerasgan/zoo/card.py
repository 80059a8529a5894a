"""Model cards (`README.md`) for zoo presets, written from their metadata."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kerasgan._typing import StrPath


def _table(rows: Iterable[tuple[str, Any]]) -> str:
    lines = ["| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows if v not in (None, "", [], {})]
    return "\n".join(lines)


def _scores_section(scores: dict) -> list:
    """Markdown for `metadata["scores"]`: one table per feature network, with its protocol."""
    if not scores:
        return [
            "No scores measured yet: `kerasgan eval NAME --features fashion-mnist-classifier "
            "--split test --record`.",
            "",
        ]
    parts = []
    for key, result in sorted(scores.items()):
        if not isinstance(result, dict) or "protocol" not in result:
            parts += [_table([(key, result)]), ""]
            continue
        protocol = result["protocol"]
        reference = result.get("reference") or {}
        parts += [
            f"### Features: `{key}`",
            "",
            "| metric | generated | real vs real (floor) |",
            "|---|---|---|",
        ]
        pr_k = protocol.get("pr_k")
        for metric, label in (
            ("fid", "FID"),
            ("kid", "KID"),
            ("precision", f"precision (k={pr_k})"),
            ("recall", f"recall (k={pr_k})"),
            ("is", "IS"),
        ):
            if metric not in result:
                continue
            value = f"{result[metric]:.4g}"
            if f"{metric}_std" in result:
                value += f" ± {result[metric + '_std']:.2g}"
            ref = reference.get(metric)
            parts.append(f"| {label} | {value} | {'' if ref is None else f'{ref:.4g}'} |")
        labels = ", labels cycling over the classes" if protocol.get("conditional") else ""
        parts += [
            "",
            f"Protocol: {protocol['n_fake']} generated images (seed {protocol.get('seed')}, "
            f"batch {protocol.get('batch_size')}, {'EMA' if protocol.get('ema') else 'raw'} "
            f"generator{labels}"
            + (
                f", central {protocol['crop'][0]}x{protocol['crop'][1]} of each image"
                if protocol.get("crop")
                else ""
            )
            + f") vs {protocol['n_real']} real images of `{protocol.get('real_source')}` "
            f"(split `{protocol.get('real_split')}`); features: `{protocol['feature_network']}` "
            f"({protocol['feature_dim']}-d, input {'x'.join(map(str, protocol['input_shape']))})"
            + (
                f"; KID: {protocol['kid_subsets']} subsets of {protocol['kid_subset_size']}"
                if protocol.get("kid_subsets")
                else ""
            )
            + (f"; IS: {protocol['is_splits']} splits" if protocol.get("is_splits") else "")
            + ".",
            "",
        ]
        if reference:
            parts += [
                "The floor column scores real images against the same real set: "
                + str(reference.get("description", ""))
                + ".",
                "",
            ]
        spread = result.get("spread")
        if spread:
            parts += [
                f"Re-check (`kerasgan zoo check NAME`): the FID of {spread['n']} generated vs "
                f"the first {spread['n']} real images is {spread['mean']:.2f} ± "
                f"{spread['std']:.2f} over {len(spread['seeds'])} draws (seeds "
                f"{spread['seeds'][0]}-{spread['seeds'][-1]}); other sample sizes and another "
                "real set give other values, so compare it with a re-check, not with the FID "
                "above.",
                "",
            ]
        if result.get("command"):
            parts += [f"Measured with `{result['command']}`.", ""]
    return parts


def model_card(metadata: dict) -> str:
    """The model card (markdown) of a preset from its `metadata.json` content."""
    name = metadata["name"]
    training = metadata.get("training") or {}
    scores = metadata.get("scores") or {}
    classes = metadata.get("class_names")
    conditional = bool(metadata.get("num_classes"))
    example_label = 7 if conditional and metadata["num_classes"] > 7 else 0
    label_arg = f", labels={example_label}" if conditional else ""
    ema = bool(metadata["sample_grid"].get("ema"))
    ema_arg = ", ema=True" if ema else ""
    cli_label = f" --labels {example_label}" if conditional else ""

    parts = [
        f"# {name}",
        "",
        metadata.get("description", ""),
        "",
        "![samples](samples.png)",
        "",
        f"Sample grid: `generate(..., seed={metadata['sample_grid']['seed']}{ema_arg})`"
        + (", one row per class." if conditional else "."),
        "",
        "## Use",
        "",
        "```python",
        "import kerasgan",
        f'gan = kerasgan.zoo.load("{name}")            # verifies sha256, offline',
        f"images = gan.generate(16{label_arg}, seed=0{ema_arg})   # numpy, [-1, 1]",
        "```",
        *(
            [
                "",
                "`ema=True` draws from the moving average of the generator's weights (the "
                "better images, and the scores below); without it, from the last trained "
                "weights. `kerasgan sample` uses the moving average.",
            ]
            if ema
            else []
        ),
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
    parts += _scores_section(scores)
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
    return "\n".join(parts)


def write_model_card(path: StrPath, metadata: dict[str, Any]) -> None:
    """Writes the model card of a preset from its `metadata.json` content."""
    with open(path, "w") as f:
        f.write(model_card(metadata))
