"""A benchmark's results as dataclasses: written to and read back from versioned JSON, rendered as Markdown."""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import SCHEMA_VERSION  # bumped when a field changes meaning or goes; new fields keep it
from benchmarks.errors import BenchmarkError
from benchmarks.files import write_atomic
from benchmarks.machine import MachineInfo, PythonInfo
from benchmarks.stats import ClassAccuracy, LatencyStats
from training.realworld import PhotoScores, Selective

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



@dataclass(frozen=True)
class DatasetInfo:
    """The images every job classified."""

    source: str
    root: str
    subset: str
    n_images: int
    n_classes: int
    total_in_subset: int
    selection: str  # "all", "stratified" (seeded) or "first"
    seed: int
    digest: str  # ImageSet.digest(): equal digests mean the same files with the same labels
    speed_images: int  # images of the timing set (a seeded sample of the above)


@dataclass(frozen=True)
class Methodology:
    """How the timings were taken."""

    timer: str
    warmup_images: int
    warmup_invokes: int
    rounds: int
    order: str
    invoke_repeats: int
    batch_size: int
    accuracy_batch_size: int
    accuracy_chunks: int
    threads: tuple[int, ...]
    pinning: str
    process_per_job: bool
    notes: tuple[str, ...] = ()
    batch_repeats: int = 0


@dataclass(frozen=True)
class ModelEntry:
    """One model file under test."""

    variant: str  # e.g. "efficientnet_lite0-int8"
    backbone: str
    precision: str  # float32, float16, int8, or "" when the file name does not say
    path: str
    size_bytes: int
    sha256: str
    input_shape: tuple[int, ...]
    input_dtype: str
    labels: int


@dataclass(frozen=True)
class JobResult:
    """Timings and memory of one variant x engine x runtime x threads job, in its own process."""

    job_id: str
    variant: str
    engine: str  # sdk, bare or mediapipe
    runtime: str
    runtime_version: str
    python: str
    python_version: str
    threads: int | None  # None: the engine chooses (MediaPipe)
    cpus: tuple[int, ...] | None
    status: str  # "ok" or "failed"
    error: str = ""
    import_ms: float | None = None
    load_ms: float | None = None
    rss_start_bytes: int | None = None  # after importing Python, before the engine's modules and model
    rss_after_load_bytes: int | None = None
    peak_rss_bytes: int | None = None
    e2e: LatencyStats | None = None
    invoke: LatencyStats | None = None
    single_images_per_s: float | None = None
    cores_used: float | None = None  # CPU time / wall time of the process while timing end to end
    batch_size: int = 0
    batched_images_per_s: float | None = None
    timing_top1: float | None = None  # top-1 accuracy on the timing images
    agreement_with_sdk: float | None = None  # same variant and threads, timing images


@dataclass(frozen=True)
class AccuracyResult:
    """Accuracy of one variant over every image of the set, and how long the pass took."""

    variant: str
    job_id: str
    n_images: int
    top1: float
    top5: float
    seconds: float
    images_per_s: float
    reference: str  # the float32 variant the agreement is measured against ("" when there is none)
    agreement_with_reference: float | None
    per_class: tuple[ClassAccuracy, ...] = ()
    invoke_seconds: float | None = None  # the same job's invoke alone on the same images (prepared inputs), same run

    @property
    def invoke_ratio(self) -> float | None:
        """Pass time / invoke-only time: what decoding, preprocessing and the SDK add to the runtime."""
        return self.seconds / self.invoke_seconds if self.invoke_seconds else None

    @property
    def mean_class_top1(self) -> float | None:
        """Top-1 averaged over classes (each class counts once, however many images it has)."""
        rates = [c.correct / c.total for c in self.per_class if c.total]
        return sum(rates) / len(rates) if rates else None


@dataclass(frozen=True)
class Ratio:
    """End-to-end throughput of one job over another's on the same model and images.

    `value` compares median throughputs (1 / p50 latency), which a burst of load from another process
    on a shared machine barely moves; `mean_value` compares mean throughputs (images / total time).
    """

    name: str
    variant: str
    threads: int | None
    numerator: str
    denominator: str
    value: float
    mean_value: float | None = None


@dataclass(frozen=True)
class Target:
    """A goal from the issue, the measured value and whether it was met."""

    name: str
    value: float | None
    threshold: float
    comparison: str  # ">=", "<" or "<="
    passed: bool | None
    detail: str = ""


@dataclass(frozen=True)
class RealWorldResult:
    """One variant on one real-world photo set."""

    variant: str
    photo_set: str  # the folder as given on the command line
    n_classes: int  # classes (folders) in the set; the model is scored over all of its own labels
    scores: PhotoScores
    fitted: Selective | None  # `realworld.confident_level` of these scores: what these photos would choose
    confident_score: float | None  # the level the file carries in its metadata (None: none)
    at_confident: Selective | None  # answered share and accuracy at the file's own level, on these photos
    seconds: float


@dataclass(frozen=True)
class BenchmarkReport:
    """Everything one benchmark run measured, with what it ran on and how."""

    schema_version: int
    tool: str
    created: str
    command: str
    machine: MachineInfo
    pythons: tuple[PythonInfo, ...]
    methodology: Methodology
    dataset: DatasetInfo
    models: tuple[ModelEntry, ...]
    jobs: tuple[JobResult, ...]
    accuracy: tuple[AccuracyResult, ...]
    ratios: tuple[Ratio, ...] = ()
    targets: tuple[Target, ...] = ()
    notes: tuple[str, ...] = ()
    load_average_end: tuple[float, float, float] | None = None
    wall_seconds: float | None = None
    realworld: tuple[RealWorldResult, ...] = ()  # `--photos`: each variant on each real-world photo set
    incomplete: str = ""  # why the run stopped early ("" when it ran to the end): what it holds was measured

    def model(self, variant: str) -> ModelEntry | None:
        """The model entry of a variant."""
        return next((m for m in self.models if m.variant == variant), None)


def _clean(value):
    # JSON has no NaN: write null so every reader (jq, JavaScript, json.loads strict) accepts the file.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def write_json(report: BenchmarkReport, path: str | Path) -> Path:
    """Write the report as indented JSON (atomically: through a temporary file) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, json.dumps(_clean(dataclasses.asdict(report)), indent=1) + "\n")


def _build(hint, value):
    if value is None:
        # `_clean` writes NaN as null: a plain float field reads it back as NaN, an optional one as None.
        return float("nan") if hint is float else None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _build(options[0], value)
    if dataclasses.is_dataclass(hint):
        hints = typing.get_type_hints(hint)
        known = {f.name for f in dataclasses.fields(hint) if f.init}
        return hint(**{k: _build(hints[k], v) for k, v in value.items() if k in known})
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v) for v in value)
        return tuple(_build(a, v) for a, v in zip(args, value))
    if origin is list:
        return [_build(typing.get_args(hint)[0], v) for v in value]
    if origin is dict:
        return dict(value)
    if hint is float:
        return float(value)
    return value


def read_json(path: str | Path) -> BenchmarkReport:
    """Read a report written by `write_json` (same schema version).

    Raises:
        BenchmarkError: if the file is missing, not JSON, not a benchmark report, or of another schema version.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise BenchmarkError(f"Benchmark result not found: {path}") from None
    except (OSError, ValueError) as exc:
        raise BenchmarkError(f"Cannot read {path} as JSON ({exc})") from None
    if not isinstance(data, dict) or "schema_version" not in data:
        raise BenchmarkError(f"{path} is not a benchmark result (no schema_version): pass a file written by `python -m benchmarks run`")
    if data["schema_version"] != SCHEMA_VERSION:
        raise BenchmarkError(f"{path} has schema_version {data['schema_version']}; this harness reads version {SCHEMA_VERSION}")
    try:
        return _build(BenchmarkReport, data)
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        raise BenchmarkError(f"{path} does not follow benchmark schema {SCHEMA_VERSION} ({exc})") from None


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
