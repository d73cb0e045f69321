"""The model card written beside the exported files (Markdown, rebuilt by every export)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from flowerlite.contract import CROP_FRACTION

from training.realworld import CONFIDENT_TARGET, MIN_ANSWERED, PhotoScores, Selective

__all__ = ["FileEntry", "AccuracyRow", "RealWorldRow", "ModelCard", "render_model_card", "write_model_card",
           "realworld_section",
           "replace_accuracy_section", "ACCURACY_START", "ACCURACY_END", "REALWORLD_START", "REALWORLD_END"]

# The accuracy section sits between these markers so that the benchmark harness's figures can
# replace the export's own later (`python -m training card --benchmark ...`).
ACCURACY_START = "<!-- accuracy:start -->"
ACCURACY_END = "<!-- accuracy:end -->"
# The real-world section likewise (the benchmark harness measures the same photos).
REALWORLD_START = "<!-- realworld:start -->"
REALWORLD_END = "<!-- realworld:end -->"

DATASET_NOTE = (
    "The Oxford 102 Category Flower dataset (Nilsback and Zisserman, ICVGIP 2008; Visual Geometry "
    "Group, University of Oxford) is published for research without an explicit licence; its photos "
    "were collected from the web and remain the property of their owners. The model weights are "
    "derived from it and from ImageNet-pretrained EfficientNet-Lite weights: check that your use is "
    "compatible with both before shipping the model in a product. No image of the dataset is "
    "distributed with flowerlite."
)


@dataclass(frozen=True)
class FileEntry:
    """One released file: its variant, size, checksum and how it was verified."""

    name: str
    variant: str
    size_bytes: int
    sha256: str
    quantisation: str
    input_desc: str
    output_desc: str
    verification: str = ""


@dataclass(frozen=True)
class AccuracyRow:
    """Top-1 of one file on a subset, measured through the SDK."""

    name: str
    variant: str
    images: int
    top1: float
    latency_ms: float | None = None


@dataclass(frozen=True)
class RealWorldRow:
    """One file on a real-world photo set (scored over all its labels) and its confident score level there."""

    name: str
    variant: str
    scores: PhotoScores
    confident: Selective | None


@dataclass
class ModelCard:
    """Everything the card states; `render_model_card` turns it into Markdown."""

    title: str
    version: str
    backbone: str
    input_size: int
    mean: Sequence[float]
    std: Sequence[float]
    class_names: Sequence[str]
    config_toml: str
    metrics: dict
    data_checksums: dict
    files: list[FileEntry]
    calibration: str
    run_dir: str
    split_sizes: tuple[int, int, int]  # train, val, test images
    split_name: str = "Official Oxford 102 split"
    selection: list[tuple[str, float | None]] = field(default_factory=list)  # (run, val top-1) of every candidate
    trained_on_val: bool = False  # the released run learnt from train + val (no val accuracy of its own)
    accuracy: list[AccuracyRow] = field(default_factory=list)
    accuracy_subset: str = "test"
    accuracy_command: str = ""
    accuracy_source: str = ""
    rebuild_command: str = ""
    notes: list[str] = field(default_factory=list)
    realworld: list[RealWorldRow] = field(default_factory=list)
    realworld_set: str = ""  # the photo set's folder as given
    realworld_command: str = ""


def _pct(x: float | None) -> str:
    return "—" if x is None or x != x else f"{100 * x:.2f}%"  # x != x: NaN (nothing answered)


def _accuracy_section(card: ModelCard) -> list[str]:
    if not card.accuracy:
        return ["## Accuracy", "", "Not measured by this export (run the release, or the command below).", ""]
    base = next((r.top1 for r in card.accuracy if r.variant == "float32"), None)
    has_latency = any(r.latency_ms is not None for r in card.accuracy)
    head = "| file | variant | images | top-1 | vs float32 |" + (" latency |" if has_latency else "")
    rule = "|---|---|---:|---:|---:|" + ("---:|" if has_latency else "")
    lines = [f"## Accuracy ({card.accuracy_subset}, through the flowerlite SDK)", "", head, rule]
    for r in card.accuracy:
        delta = "—" if base is None or r.variant == "float32" else f"{100 * (r.top1 - base):+.2f} pts"
        row = f"| `{r.name}` | {r.variant} | {r.images} | {_pct(r.top1)} | {delta} |"
        if has_latency:
            row += f" {r.latency_ms:.1f} ms |" if r.latency_ms is not None else " — |"
        lines.append(row)
    lines.append("")
    if card.accuracy_source:
        lines += [card.accuracy_source, ""]
    if card.accuracy_command:
        lines += ["Measured with:", "", "```sh", card.accuracy_command, "```", ""]
    return lines


def _point(p: Selective) -> str:
    return f"{_pct(p.coverage)} / {_pct(p.accuracy)}"


def _realworld_section(card: ModelCard) -> list[str]:
    if not card.realworld:
        return ["## Real-world photos", "",
                "Not measured by this export (pass `--photos ../shared/realworld-val` to the release, or run the "
                "command below): the files carry no confident score level.", ""]
    return realworld_section(card.realworld, len(card.class_names), card.realworld_set, card.realworld_command).splitlines()


def realworld_section(rows: Sequence[RealWorldRow], n_labels: int, photo_set: str = "", command: str = "",
                      source: str = "through the flowerlite SDK") -> str:
    """Markdown of the files' real-world figures: a table per file, per species, the selective curve, the confident level."""
    first = rows[0].scores
    classes = list(first.per_class)
    where = f"`{photo_set}`: " if photo_set else ""
    lines = [f"## Real-world photos ({where}{first.images} photos of {len(classes)} species, {source})", "",
             f"Photos from outside Oxford 102: {first.images} photos of only {len(classes)} of the "
             f"{n_labels} species ({', '.join(classes)}), in folders named by their labels. Each photo is "
             f"scored over all {n_labels} classes, not as a smaller problem. A small sample of a few "
             "species: read these figures as a rough guide to photos users take, beside the Oxford figures above.", "",
             "| file | variant | photos | top-1 | top-5 | mean per-class top-1 | confident level | answered at it | right at it |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        s, c = r.scores, r.confident
        level = ["none", "—", "—"] if c is None else [f"{c.threshold:g}", _pct(c.coverage), _pct(c.accuracy)]
        lines.append(f"| `{r.name}` | {r.variant} | {s.images} | {_pct(s.top1)} | {_pct(s.top5)} | "
                     f"{_pct(s.mean_class_top1)} | " + " | ".join(level) + " |")
    lines += ["", "Top-1 per species:", "", "| file | " + " | ".join(classes) + " |", "|---|" + "---:|" * len(classes)]
    for r in rows:
        lines.append(f"| `{r.name}` | " + " | ".join(_pct(r.scores.per_class.get(c)) for c in classes) + " |")
    thresholds = [p.threshold for p in first.selective]
    lines += ["", "Selective accuracy: the share of photos whose best score reaches each level, and how many of those "
              "answers are right (answered / right):", "",
              "| file | " + " | ".join(f"score ≥ {t:g}" for t in thresholds) + " |", "|---|" + "---:|" * len(thresholds)]
    for r in rows:
        lines.append(f"| `{r.name}` | " + " | ".join(_point(p) for p in r.scores.selective) + " |")
    lines += ["", f"Confident level: the lowest score (on a 0.05 grid) from which on the answers were right at least "
              f"{CONFIDENT_TARGET:.0%} of the time on these photos, at that level and every higher one (levels answering "
              f"fewer than {MIN_ANSWERED} photos are not trusted). It is fitted on each file's own scores on these photos, "
              "never on Oxford test, and written into the file's metadata (`flowerlite_confident_score`, read as "
              "`flowerlite.Classifier(...).info.confident_score`); below it an answer is a best guess. It is measured on "
              "the same photos it was fitted on, so its accuracy there is optimistic, and on other species and other "
              "photographers it may hold less well.", ""]
    if command:
        lines += ["Measured with:", "", "```sh", command, "```", ""]
    return "\n".join(lines)


def render_model_card(card: ModelCard) -> str:
    """The card as Markdown text."""
    mean = ", ".join(f"{m:g}" for m in card.mean)
    std = ", ".join(f"{s:g}" for s in card.std)
    lines = [
        f"# {card.title}",
        "",
        f"Version {card.version}. Classifies a photo into one of {len(card.class_names)} flower "
        f"categories. Backbone `{card.backbone}`, fine-tuned on Oxford 102; written by `python -m training export`.",
        "",
        "## Model contract (also in every file's TFLite metadata)",
        "",
        f"- Input: one RGB image, {card.input_size} x {card.input_size}. Resize the shorter side to "
        f"round({card.input_size} / {CROP_FRACTION:g}) = {round(card.input_size / CROP_FRACTION)} px (bilinear, antialiased), "
        "then crop the centre.",
        f"- Normalisation of float inputs: (pixel - mean) / std with mean ({mean}) and std ({std}) on 0-255 RGB.",
        "- The int8 file takes the raw uint8 pixels: its input quantisation performs the same normalisation.",
        f"- Output: probabilities (softmax) over {len(card.class_names)} classes; labels are packed in each file as "
        "`labels.txt` (`TENSOR_AXIS_LABELS`).",
        "- Score threshold: a file whose output is quantised carries one in its metadata "
        "(`ScoreThresholdingOptions`, half an output step, see Files): classes that quantised to 0 are not answers. "
        "The flowerlite SDK drops categories below it unless the caller passes another `score_threshold`; "
        "MediaPipe always applies it. Float files carry none.",
        *(["- Confident score: each file measured on real-world photos carries the score level from which on its "
           f"answers were right at least {CONFIDENT_TARGET:.0%} of the time there (`flowerlite_confident_score`, a "
           "`CustomMetadata` entry of the subgraph; see Real-world photos). Answers below it are best guesses."]
          if any(r.confident for r in card.realworld) else []),
        "",
        "## Files",
        "",
        "| file | variant | size | sha256 | input | output |",
        "|---|---|---:|---|---|---|",
    ]
    for f in card.files:
        lines.append(f"| `{f.name}` | {f.variant} | {f.size_bytes / 1e6:.2f} MB ({f.size_bytes} B) | `{f.sha256}` | {f.input_desc} | {f.output_desc} |")
    lines += ["", "Quantisation of each file:", ""]
    lines += [f"- `{f.name}`: {f.quantisation}" for f in card.files]
    lines += ["", "## Export checks", "",
              "Each file was loaded with `flowerlite.Classifier` and compared with the Keras model on a seeded "
              f"sample of {'train' if card.trained_on_val else 'validation'} images; its metadata was read back (labels, "
              "mean/std, name, version, confident score).", ""]
    lines += [f"- `{f.name}`: {f.verification}" for f in card.files if f.verification]
    lines += ["", ACCURACY_START, *_accuracy_section(card), ACCURACY_END, ""]
    lines += [REALWORLD_START, *_realworld_section(card), REALWORLD_END, ""]
    lines += ["## Quantisation (int8)", "", card.calibration, ""]
    if card.notes:
        lines += ["## Notes", "", *[f"- {n}" for n in card.notes], ""]
    lines += ["## Training protocol", ""]
    if card.trained_on_val:
        lines += [
            f"- {card.split_name}, **trained on train+val**: the released run learnt from the {card.split_sizes[0]} train "
            f"and val images together, with the recipe and epoch count chosen on val by an official-protocol run "
            f"(train only); a train+val run keeps its last epoch. The {card.split_sizes[2]} test images are for reporting only.",
            f"- Released run: `{card.run_dir}`.",
        ]
        if len(card.selection) > 1:
            lines.append("- Runs given to the release (the released run is named above; the others are the train+val runs "
                         "a train+val soup averages and the official-protocol runs, by val top-1): " + ", ".join(
                             f"`{run}` " + ("train+val" if val is None else _pct(val)) for run, val in card.selection) + ".")
    else:
        lines += [
            f"- {card.split_name}: {card.split_sizes[0]} train images for training, {card.split_sizes[1]} val images for "
            f"every choice (epochs, early stopping, which run is released), {card.split_sizes[2]} test images for "
            "reporting only.",
            f"- Released run: `{card.run_dir}`.",
        ]
        if card.selection:
            lines.append("- Candidates, by val top-1 (the highest is released): "
                         + ", ".join(f"`{run}` {_pct(val)}" for run, val in card.selection) + ".")
    lines += ["", "Metrics of the run (`metrics.json`, Keras, before conversion):", "", "```json",
              json.dumps(card.metrics, indent=2), "```", "",
              "Training configuration (`config.toml`, as resolved):", "", "```toml", card.config_toml.strip(), "```", "",
              "Data checksums (`data_checksums.json`, SHA-256):", "", "| file | sha256 |", "|---|---|"]
    lines += [f"| {k} | `{v}` |" for k, v in card.data_checksums.items()]
    lines += ["", "## Licence", "",
              "Code and model weights: Apache-2.0 (author: flowerlite).", "", DATASET_NOTE, ""]
    if card.rebuild_command:
        lines += ["## Rebuild", "", "```sh", card.rebuild_command, "```", ""]
    return "\n".join(lines)


def write_model_card(card: ModelCard, path: str | Path) -> Path:
    """Write the card as Markdown to `path`; returns the path."""
    path = Path(path)
    path.write_text(render_model_card(card))
    return path


def replace_accuracy_section(card_text: str, section: str, start_marker: str = ACCURACY_START,
                             end_marker: str = ACCURACY_END) -> str:
    """The card with the text between the accuracy markers (or other markers) replaced by `section`.

    Raises:
        ValueError: if the card has no such markers (it was not written by this module).
    """
    start, end = card_text.find(start_marker), card_text.find(end_marker)
    if start < 0 or end < start:
        raise ValueError(f"the card has no {start_marker} ... {end_marker} section: re-export it")
    return card_text[: start + len(start_marker)] + "\n" + section.strip("\n") + "\n" + card_text[end:]
