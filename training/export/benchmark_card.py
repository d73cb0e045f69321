"""The model card's accuracy, size and latency table from a benchmark harness result (benchmark.json).

The file's format has one owner, `training.benchmark_json`, which the harness writes it with: it is read
with `training.benchmark_json.read_json` into its dataclasses (`BenchmarkReport`), never as loose dicts,
so a renamed or dropped field fails here instead of silently quoting nothing. The harness measures the
released files; the card quotes it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from flowerlite.contract import RELEASE_GLOB, VARIANTS, parse_release_name

from training.export.errors import ExportError
from training.export.model_card import REALWORLD_END, REALWORLD_START, replace_accuracy_section

if TYPE_CHECKING:
    from training.benchmark_json import BenchmarkReport, JobResult

__all__ = ["benchmark_section", "benchmark_realworld_section", "apply_benchmark"]


def _pct(x) -> str:
    return "—" if x is None else f"{100 * x:.2f}%"


def _ms(stats) -> str:
    return "—" if stats is None else f"{stats.p50_ms:.1f} ms"


def _release_order(name: str) -> tuple[int, str]:
    release = parse_release_name(name)
    return (VARIANTS.index(release.variant) if release else len(VARIANTS), name)


def _latency_job(jobs: Sequence[JobResult], variant: str) -> JobResult | None:
    # The SDK on ai-edge-litert with the most threads measured: what `flowerlite classify` does.
    ok = [j for j in jobs if j.variant == variant and j.status == "ok" and j.engine == "sdk"]
    litert = [j for j in ok if j.runtime == "ai-edge-litert"] or ok
    return max(litert, key=lambda j: j.threads or 0, default=None)


def benchmark_section(report: BenchmarkReport, released: dict[str, str]) -> str:
    """Markdown for the card from a benchmark report; `released` maps file name -> sha256.

    Raises:
        ExportError: if the benchmark did not measure exactly the released files.
    """
    models = {Path(m.path).name: m for m in report.models}
    stale = [name for name, digest in released.items() if name not in models or models[name].sha256 != digest]
    if stale:
        raise ExportError(f"the benchmark did not measure the released {', '.join(stale)} (missing or other sha256): "
                          "re-run the benchmark on models/")
    accuracy = {a.variant: a for a in report.accuracy}
    rows, base = [], None
    for name in sorted(released, key=_release_order):
        model = models[name]
        acc = accuracy.get(model.variant)
        if model.precision == "float32":
            base = acc and acc.top1
        rows.append((name, model, acc, _latency_job(report.jobs, model.variant)))
    dataset, machine = report.dataset, report.machine
    lines = [f"## Accuracy, size and latency ({dataset.subset}, {dataset.n_images} images; benchmark harness)", "",
             "| file | size | top-1 | top-5 | vs float32 | latency p50 (end to end) | invoke p50 | engine |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for name, model, acc, job in rows:
        top1, top5 = (None, None) if acc is None else (acc.top1, acc.top5)
        delta = "—" if base is None or top1 is None or model.precision == "float32" else f"{100 * (top1 - base):+.2f} pts"
        engine = "—" if job is None else f"{job.engine} / {job.runtime} {job.runtime_version}, {job.threads} threads"
        lines.append(f"| `{name}` | {model.size_bytes / 1e6:.2f} MB | {_pct(top1)} | {_pct(top5)} | {delta} | "
                     f"{_ms(job and job.e2e)} | {_ms(job and job.invoke)} | {engine} |")
    lines += ["", f"Machine: {machine.cpu_model}, {machine.usable_cores} usable cores, "
              f"{machine.os}; measured {report.created}.", "",
              "Measured with:", "", "```sh", report.command, "```"]
    return "\n".join(lines)


def benchmark_realworld_section(report: BenchmarkReport, released: dict[str, str]) -> str | None:
    """Markdown of the harness's real-world figures (`--photos`) for the released files, or None if it has none.

    The confident level shown is the one each file carries, with the share answered and the accuracy
    the harness measured at it; one photo set (the first) is quoted.
    """
    from training.export.model_card import RealWorldRow, realworld_section

    if not report.realworld:
        return None
    photo_set = report.realworld[0].photo_set
    models = {m.variant: m for m in report.models}
    rows = []
    for entry in report.realworld:
        model = models.get(entry.variant)
        name = model and Path(model.path).name
        if entry.photo_set != photo_set or name not in released:
            continue
        at = entry.at_confident
        confident = None if at is None else dataclasses.replace(at, threshold=entry.confident_score)
        rows.append((_release_order(name), RealWorldRow(name, model.precision, entry.scores, confident)))
    if not rows:
        return None
    n_labels = next((m.labels for m in report.models if m.labels), "?")
    text = realworld_section([r for _, r in sorted(rows, key=lambda x: x[0])], n_labels, photo_set,
                             report.command, "benchmark harness")
    return text.replace("Measured with:", f"Measured {report.created} with:")


def apply_benchmark(models_dir: str | Path, benchmark_json: str | Path) -> Path:
    """Replace the accuracy (and, if measured, real-world) section of models_dir/MODEL_CARD.md by the benchmark's
    figures; refresh SHA256SUMS.

    Raises:
        ExportError: if the card or the benchmark file is missing or does not match the released files.
    """
    from training.benchmark_json import read_json
    from training.errors import BenchmarkFileError
    from training.export.exporter import sha256_file
    from training.export.release import CARD_NAME, write_checksums

    models_dir, benchmark_json = Path(models_dir), Path(benchmark_json)
    card = models_dir / CARD_NAME
    if not card.exists():
        raise ExportError(f"No model card in {models_dir}: run `python -m training release` first")
    try:
        report = read_json(benchmark_json)
    except BenchmarkFileError as exc:
        raise ExportError(f"Cannot read the benchmark result {benchmark_json} ({exc})") from None
    released = {p.name: sha256_file(p) for p in sorted(models_dir.glob(RELEASE_GLOB))}
    section = benchmark_section(report, released)
    realworld = benchmark_realworld_section(report, released)
    try:
        text = replace_accuracy_section(card.read_text(), section)
        if realworld is not None:
            text = replace_accuracy_section(text, realworld, REALWORLD_START, REALWORLD_END)
        card.write_text(text)
    except ValueError as exc:
        raise ExportError(f"{card}: {exc}") from None
    write_checksums(models_dir, [*released, CARD_NAME])
    return card
