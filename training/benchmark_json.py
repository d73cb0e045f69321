"""The benchmark harness's result file, benchmark.json: its schema, its JSON text and its reader.

The one owner of the format. `python -m benchmarks run` writes it (`benchmarks.report.write_json`,
atomically, with :func:`to_json_text`); `python -m benchmarks compare` and the model card
(`training.export.benchmark_card`) read it with :func:`read_json` into these dataclasses, never as
loose dicts, so a renamed or dropped field fails in the reader instead of silently quoting nothing.
It sits in the build chain, below the harness, because the card generator reads it.

Standard library only at import: `python -m benchmarks.machine` (:class:`MachineInfo`,
:class:`PythonInfo`) runs in any interpreter the harness measures. The real-world figures' types
(`training.realworld`, numpy) and the error are imported when a file is read.

Example::

    from training.benchmark_json import read_json

    report = read_json("benchmarks/results/benchmark.json")
    [(a.variant, a.top1) for a in report.accuracy]
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

if typing.TYPE_CHECKING:
    from training.realworld import PhotoScores, Selective

__all__ = [
    "FILE_NAME",
    "SCHEMA_VERSION",
    "PythonInfo",
    "MachineInfo",
    "LatencyStats",
    "ClassAccuracy",
    "DatasetInfo",
    "Methodology",
    "ModelEntry",
    "JobResult",
    "AccuracyResult",
    "Ratio",
    "Target",
    "RealWorldResult",
    "BenchmarkReport",
    "to_json_text",
    "read_json",
]

FILE_NAME = "benchmark.json"
"""The name of the result file in a run's output folder (beside benchmark.md and the charts)."""

SCHEMA_VERSION = 1
"""Of benchmark.json: bumped when a field changes meaning or goes; new fields keep it (readers ignore fields they do not know)."""


@dataclass(frozen=True)
class PythonInfo:
    """One Python interpreter and the versions of the packages a benchmark job uses in it."""

    executable: str
    version: str
    implementation: str
    numpy: str | None
    pillow: str | None
    runtimes: dict[str, str] = field(default_factory=dict)  # installed runtime distribution -> version
    flowerlite: str | None = None  # the SDK, when importable


@dataclass(frozen=True)
class MachineInfo:
    """CPU, cores, memory and operating system of the machine that ran a benchmark."""

    cpu_model: str
    architecture: str
    logical_cores: int
    usable_cores: int
    memory_bytes: int | None
    os: str
    kernel: str
    hostname: str
    load_average: tuple[float, float, float] | None


@dataclass(frozen=True)
class LatencyStats:
    """Latency of one operation in milliseconds over `n` timed repetitions."""

    n: int
    mean_ms: float
    std_ms: float
    min_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float


@dataclass(frozen=True)
class ClassAccuracy:
    """Top-1 accuracy of one class."""

    label: int
    name: str
    correct: int
    total: int

    @property
    def accuracy(self) -> float:
        """Fraction of this class's images whose first prediction is right."""
        return self.correct / self.total if self.total else float("nan")


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


def to_json_text(report: BenchmarkReport) -> str:
    """The report as benchmark.json's text: indented JSON, NaN written as null, one final newline."""
    return json.dumps(_clean(dataclasses.asdict(report)), indent=1) + "\n"


def _type_hints(cls) -> dict:
    # The real-world figures' types come from training.realworld (numpy): resolved here, when a file is read.
    from training.realworld import PhotoScores, Selective

    return typing.get_type_hints(cls, localns={"PhotoScores": PhotoScores, "Selective": Selective})


def _build(hint, value):
    if value is None:
        # `_clean` writes NaN as null: a plain float field reads it back as NaN, an optional one as None.
        return float("nan") if hint is float else None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _build(options[0], value)
    if dataclasses.is_dataclass(hint):
        hints = _type_hints(hint)
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
    """Read a benchmark.json written by the harness (same schema version) into a :class:`BenchmarkReport`.

    Fields this version does not know are ignored; a null where a plain float belongs reads as NaN.

    Args:
        path: the benchmark.json file.

    Returns:
        The report, as the dataclasses of this module.

    Raises:
        BenchmarkFileError: if the file is missing, not JSON, not a benchmark report, or of another schema version.
    """
    from training.errors import BenchmarkFileError  # flowerlite (numpy): imported on reading only

    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise BenchmarkFileError(f"Benchmark result not found: {path}") from None
    except (OSError, ValueError) as exc:
        raise BenchmarkFileError(f"Cannot read {path} as JSON ({exc})") from None
    if not isinstance(data, dict) or "schema_version" not in data:
        raise BenchmarkFileError(f"{path} is not a benchmark result (no schema_version): pass a file written by `python -m benchmarks run`")
    if data["schema_version"] != SCHEMA_VERSION:
        raise BenchmarkFileError(f"{path} has schema_version {data['schema_version']}; this harness reads version {SCHEMA_VERSION}")
    try:
        return _build(BenchmarkReport, data)
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        raise BenchmarkFileError(f"{path} does not follow benchmark schema {SCHEMA_VERSION} ({exc})") from None
