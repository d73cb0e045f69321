"""A benchmark's results: written to and read back from versioned JSON, rendered as Markdown.

The file's schema, its text and its reader belong to `training.benchmark_json` (the model card reads
the file too, and the build chain sits below the harness); its dataclasses are re-exported here.
"""

from __future__ import annotations

import math
from pathlib import Path

from benchmarks.errors import BenchmarkError
from benchmarks.files import write_atomic
from training import benchmark_json
from training.benchmark_json import (
    SCHEMA_VERSION,
    AccuracyResult,
    BenchmarkReport,
    DatasetInfo,
    JobResult,
    LatencyStats,
    Methodology,
    ModelEntry,
    Ratio,
    RealWorldResult,
    Target,
    to_json_text,
)
from training.errors import BenchmarkFileError

__all__ = [
    "SCHEMA_VERSION",
    "BenchmarkReport",
    "DatasetInfo",
    "Methodology",
    "ModelEntry",
    "JobResult",
    "AccuracyResult",
    "Ratio",
    "Target",
    "RealWorldResult",
    "write_json",
    "read_json",
    "render_markdown",
]


def write_json(report: BenchmarkReport, path: str | Path) -> Path:
    """Write the report as benchmark.json's text (`training.benchmark_json.to_json_text`) atomically; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, to_json_text(report))


def read_json(path: str | Path) -> BenchmarkReport:
    """Read a report written by `write_json` (same schema version): `training.benchmark_json.read_json`.

    Raises:
        BenchmarkError: if the file is missing, not JSON, not a benchmark report, or of another schema version.
    """
    try:
        return benchmark_json.read_json(path)
    except BenchmarkFileError as exc:
        raise BenchmarkError(str(exc)) from None


# ---- Markdown ---------------------------------------------------------------------------------------

def _num(value, digits: int = 1, suffix: str = "") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:,.{digits}f}{suffix}"


def _pct(value) -> str:
    return _num(None if value is None else 100 * value, 2, "%")


def _mb(value) -> str:
    return _num(None if value is None else value / 1e6, 1)


def _pcts(stats: LatencyStats | None) -> str:
    if stats is None:
        return "–"
    return f"{stats.p50_ms:.2f} / {stats.p90_ms:.2f} / {stats.p99_ms:.2f}"


def _threads(threads: int | None) -> str:
    return "default" if threads is None else str(threads)


def _table(header: list[str], rows: list[list[str]], align: str = "") -> list[str]:
    align = align or "l" + "r" * (len(header) - 1)
    marks = [":--" if a == "l" else "--:" for a in align]
    return ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"] + ["| " + " | ".join(r) + " |" for r in rows]


def _selective(point) -> str:
    if point is None:
        return "–"
    return f"{_pct(point.coverage)} / {_pct(point.accuracy)}"


def _realworld_markdown(report: BenchmarkReport) -> list[str]:
    """The real-world photo sets beside the dataset's accuracy: one table of figures, one of the selective curve."""
    if not report.realworld:
        return []
    from training.realworld import CONFIDENT_TARGET, MIN_ANSWERED

    oxford = {a.variant: a for a in report.accuracy}
    d = report.dataset
    out = ["", "## Real-world photos", "",
           "Each photo set holds a few of the models' classes, one folder each, named by a label; every photo is "
           "scored over **all** of a model's labels (flowerlite SDK, score threshold 0). The confident score is the "
           "level the file carries in its metadata; \"answered / right\" is the share of photos whose best score "
           "reaches it and how many of those answers are right here. \"Level here\" is the confident level these "
           f"photos would choose (answers right at least {CONFIDENT_TARGET:.0%} of the time, at least {MIN_ANSWERED} "
           f"answered). Beside them, top-1 "
           f"on the run's {d.source} `{d.subset}` images."]
    for root in dict.fromkeys(r.photo_set for r in report.realworld):
        results = [r for r in report.realworld if r.photo_set == root]
        first = results[0].scores
        out += ["", f"`{root}`: {first.images} photos of {results[0].n_classes} classes.", ""]
        rows = []
        for r in results:
            s = r.scores
            per_class = ", ".join(f"{name} {_pct(v)}" for name, v in s.per_class.items())
            rows.append([r.variant, _pct(oxford[r.variant].top1) if r.variant in oxford else "–", str(s.images),
                         _pct(s.top1), _pct(s.top5), _pct(s.mean_class_top1), per_class,
                         _num(r.confident_score, 2), _selective(r.at_confident),
                         "none" if r.fitted is None else f"{r.fitted.threshold:g}"])
        out += _table(["variant", f"{d.source} top-1", "photos", "top-1", "top-5", "mean per-class top-1", "per class",
                       "confident score", "answered / right at it", "level here"], rows, "lrrrrrlrrr")
        thresholds = [p.threshold for p in first.selective]
        out += ["", "Selective accuracy (answered / right at each score):", ""]
        out += _table(["variant"] + [f"score ≥ {t:g}" for t in thresholds],
                      [[r.variant] + [_selective(p) for p in r.scores.selective] for r in results], "l" + "r" * len(thresholds))
    return out


def render_markdown(report: BenchmarkReport, worst_classes: int = 5) -> str:
    """The report as Markdown: accuracy, speed, ratios, targets, methodology, machine."""
    m, d, how = report.machine, report.dataset, report.methodology
    out = [
        "# flowerlite benchmark",
        "",
        *([f"**Incomplete run** ({report.incomplete}): what follows is what was measured before it stopped.", ""]
          if report.incomplete else []),
        f"{report.created} on **{m.cpu_model}** ({m.architecture}, {m.usable_cores} usable of {m.logical_cores} cores, "
        f"{_num(m.memory_bytes and m.memory_bytes / 1e9, 1)} GB), {m.os}. "
        f"Images: {d.source} `{d.subset}`, {d.n_images} of {d.total_in_subset} ({d.selection}), {d.n_classes} classes; "
        f"timing set {d.speed_images} images.",
        "",
        f"Command: `{report.command}`",
        "",
        "## Accuracy",
        "",
    ]
    rows = []
    for a in report.accuracy:
        model = report.model(a.variant)
        rows.append([a.variant, _mb(model.size_bytes if model else None), _pct(a.top1), _pct(a.top5), _pct(a.mean_class_top1),
                     f"{_pct(a.agreement_with_reference)}" + (f" ({a.reference})" if a.reference and a.reference != a.variant else ""),
                     _num(a.seconds, 1), _num(a.images_per_s, 0), _num(a.invoke_seconds, 1),
                     _num(a.invoke_ratio, 2) + ("×" if a.invoke_ratio else ""), a.job_id])
    out += _table(["variant", "size MB", "top-1", "top-5", "mean per-class top-1", "top-1 agreement with float32", "pass s", "images/s",
                   "invoke-only s", "pass / invoke-only", "job"], rows, "lrrrrrrrrrl")
    how_run = ("the SDK's `classify_batch` over each chunk (decoding overlapped with inference)" if how.accuracy_batch_size == 0
               else f"batch size {how.accuracy_batch_size}")
    out += ["", f"Pass = decode + preprocess + invoke + top-5 of all {d.n_images} images by the job named ({how_run}). "
                "Invoke-only = the same job's invoke alone (the \"invoke ms\" call) on each of the same images, prepared "
                "untimed, in the same chunks, side by side with the pass.",
            "Mean per-class top-1 weighs every class alike; top-1 weighs every image alike, so classes with many "
            "images (on Oxford 102's test split, 20 to 238 per class) count more."]
    out += _realworld_markdown(report)
    out += ["", "## Speed and memory", "",
            "Latency in ms, p50 / p90 / p99 after warm-up. End to end = decode + preprocess + invoke + top-5 from a file path; "
            "invoke = the runtime alone on a prepared input (MediaPipe has no separate invoke). Cores used = the job's CPU time / "
            "wall time while timing end to end (MediaPipe has no thread setting: this is what it chose).", ""]
    rows = []
    for j in report.jobs:
        if j.status != "ok":
            rows.append([j.variant, j.engine, j.runtime, _threads(j.threads)] + ["–"] * 8 + [f"failed: {j.error}"])
            continue
        rows.append([j.variant, j.engine, f"{j.runtime} {j.runtime_version}", _threads(j.threads), _num(j.load_ms, 1),
                     _mb(j.peak_rss_bytes) + (f" ({_mb(j.rss_start_bytes)})" if j.rss_start_bytes else ""), _pcts(j.e2e), _pcts(j.invoke),
                     _num(j.cores_used, 2), _num(j.single_images_per_s, 1),
                     _num(j.batched_images_per_s, 1) + (f" (×{j.batch_size})" if j.batch_size else ""),
                     _pct(j.agreement_with_sdk), ""])
    out += _table(["variant", "engine", "runtime", "threads", "load ms", "peak RSS MB (before load)", "end to end ms", "invoke ms",
                   "cores used", "images/s", "images/s batched", "top-1 = SDK", "note"], rows, "lllrrrrrrrrrl")
    if report.ratios:
        out += ["", "## Throughput ratios (end to end, same model, same images, same run)", "",
                "Median = ratio of 1 / p50 latency (robust to bursts of load from other processes); "
                "mean = ratio of images / total time.", ""]
        out += _table(["ratio", "variant", "threads", "median", "mean"],
                      [[r.name, r.variant, _threads(r.threads), f"{r.value:.3f}×", _num(r.mean_value, 3) + "×"] for r in report.ratios], "llrrr")
    if report.targets:
        out += ["", "## Targets", ""]
        out += _table(["target", "measured", "goal", "met", "detail"],
                      [[t.name, _num(t.value, 3), f"{t.comparison} {t.threshold:g}",
                        {True: "yes", False: "**no**", None: "not measured"}[t.passed], t.detail] for t in report.targets], "lrrll")
    if worst_classes and report.accuracy:
        out += ["", f"## Hardest classes (top-1, the {worst_classes} lowest per variant)", ""]
        rows = []
        for a in report.accuracy:
            ranked = sorted((c for c in a.per_class if c.total), key=lambda c: (c.correct / c.total, c.name))[:worst_classes]
            rows.append([a.variant, ", ".join(f"{c.name} {100 * c.correct / c.total:.0f}% ({c.total})" for c in ranked)])
        out += _table(["variant", "classes"], rows, "ll")
    out += ["", "## Methodology", "",
            f"- Timer: {how.timer}. Each job (variant × engine × runtime × threads) runs in its own process, so its peak RSS is its own.",
            f"- Warm-up per job: {how.warmup_images} images end to end and {how.warmup_invokes} invokes, not timed.",
            f"- {how.rounds} rounds; {how.order}. Per round each job classifies its share of the timing set end to end "
            f"and times its share of {how.invoke_repeats} invokes; {how.batch_repeats} timed batches of {how.batch_size} per job, spread over the rounds "
            "(each after an untimed batch of the same size, and followed by an untimed single image).",
            f"- Threads: {', '.join(map(str, how.threads))} (MediaPipe: its own default). Pinning: {how.pinning}.",
            f"- Accuracy pass in {how.accuracy_chunks} chunks, interleaved across variants.",
            *[f"- {n}" for n in how.notes + report.notes]]
    out += ["", "## Machine and software", ""]
    out += [f"- CPU: {m.cpu_model}, {m.architecture}, {m.logical_cores} logical cores ({m.usable_cores} usable); "
            f"kernel {m.kernel}; load average at start {m.load_average}, at end {report.load_average_end}."]
    for p in report.pythons:
        runtimes = ", ".join(f"{k} {v}" for k, v in p.runtimes.items()) or "no runtime"
        out.append(f"- `{p.executable}`: Python {p.version}, numpy {p.numpy}, Pillow {p.pillow}, {runtimes}, flowerlite {p.flowerlite or '–'}.")
    out += ["", "## Models", ""]
    out += _table(["variant", "file", "bytes", "input", "sha256"],
                  [[e.variant, f"`{e.path}`", f"{e.size_bytes:,}", f"{'x'.join(map(str, e.input_shape))} {e.input_dtype}", f"`{e.sha256[:16]}…`"]
                   for e in report.models], "llrll")
    out += ["", f"Schema version {report.schema_version}; images digest `{d.digest[:16]}…`; wall time {_num(report.wall_seconds, 0)} s.", ""]
    return "\n".join(out)
