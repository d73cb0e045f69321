"""PNG charts of a report: accuracy against file size, and latency per variant (p50 bars, p90/p99 whiskers).

matplotlib is optional (the `bench` extra): without it the harness writes JSON and Markdown only.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.files import atomic_path
from training.benchmark_json import BenchmarkReport, JobResult

__all__ = ["plot_accuracy_vs_size", "plot_latency", "write_charts", "series_name"]

_ENGINE_COLOURS = {"sdk": "#1f77b4", "bare": "#ff7f0e", "mediapipe": "#2ca02c"}
# One colour family per engine, one shade per runtime/interpreter within it.
_SHADES = {"sdk": ["#1f4e99", "#6fa8e8", "#a9cbf2"], "bare": ["#d9650b", "#f7ae6b", "#fbd3ad"], "mediapipe": ["#2ca02c", "#98df8a"]}
_EXTRA_COLOURS = ["#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
_PRECISION_MARKERS = {"float32": "o", "float16": "s", "int8": "D", "": "^"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: works on a headless Raspberry Pi
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> None:
    with atomic_path(path) as temporary:
        fig.savefig(temporary, format=Path(path).suffix.lstrip(".") or "png")


def series_name(job: JobResult) -> str:
    """Legend name of a job's series: engine and runtime (and interpreter tag when not the main one)."""
    tag = job.job_id.split("@", 1)[1] if "@" in job.job_id else ""
    name = {"sdk": "flowerlite SDK", "bare": "bare interpreter", "mediapipe": "MediaPipe"}.get(job.engine, job.engine)
    if job.engine != "mediapipe":
        name += f" · {job.runtime}"
    return name + (f" ({tag})" if tag else "")


def plot_accuracy_vs_size(report: BenchmarkReport, path: str | Path) -> Path | None:
    """Top-1 (filled) and top-5 (hollow) accuracy of every variant against its file size in MB."""
    if not report.accuracy:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 5), dpi=130)
    backbones = sorted({report.model(a.variant).backbone for a in report.accuracy})
    colours = {b: _EXTRA_COLOURS[i % len(_EXTRA_COLOURS)] if len(backbones) > 1 else "#1f77b4" for i, b in enumerate(backbones)}
    for a in report.accuracy:
        model = report.model(a.variant)
        x = model.size_bytes / 1e6
        marker = _PRECISION_MARKERS.get(model.precision, "^")
        ax.scatter([x], [100 * a.top1], s=90, marker=marker, color=colours[model.backbone], zorder=3,
                   label=f"{model.backbone} {model.precision}".strip())
        ax.scatter([x], [100 * a.top5], s=90, marker=marker, facecolors="none", edgecolors=colours[model.backbone], zorder=3)
        ax.annotate(f"{model.precision or a.variant}\ntop-1 {100 * a.top1:.2f}%", (x, 100 * a.top1), textcoords="offset points",
                    xytext=(8, -22), fontsize=9)
    tops = [100 * a.top1 for a in report.accuracy] + [100 * a.top5 for a in report.accuracy]
    sizes = [report.model(a.variant).size_bytes / 1e6 for a in report.accuracy]
    span = max(tops) - min(tops)
    ax.set_ylim(max(0.0, min(tops) - max(1.5, 0.6 * span)), min(100.5, max(tops) + max(0.8, 0.2 * span)))
    ax.set_xlim(0, max(sizes) * 1.25)
    ax.set_xlabel("model file size (MB)")
    ax.set_ylabel("accuracy on the test images (%)")
    d = report.dataset
    ax.set_title(f"Accuracy vs size · {d.source} {d.subset}, {d.n_images} images\nfilled = top-1, hollow = top-5", fontsize=11)
    ax.grid(True, alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), loc="lower right", fontsize=9)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return Path(path)


def plot_latency(report: BenchmarkReport, path: str | Path) -> Path | None:
    """Per variant, one bar per engine/runtime at p50 with whiskers to p90 (thick tick) and p99 (thin tick).

    One panel per measure (end to end, invoke alone) and thread count, stacked; MediaPipe, which picks
    its own threads, sits with the most threads.
    """
    jobs = [j for j in report.jobs if j.status == "ok" and j.e2e]
    if not jobs:
        return None
    plt = _pyplot()
    threads = sorted({j.threads for j in jobs if j.threads is not None}) or [None]
    top = threads[-1]
    variants = [m.variant for m in report.models if any(j.variant == m.variant for j in jobs)]
    series = list(dict.fromkeys(series_name(j) for j in sorted(jobs, key=lambda j: (["sdk", "bare", "mediapipe"].index(j.engine) if j.engine in _ENGINE_COLOURS else 9, j.job_id))))
    colours = {}
    for name in series:
        job = next(j for j in jobs if series_name(j) == name)
        shades = _SHADES.get(job.engine, _EXTRA_COLOURS)
        used = sum(1 for other in colours if next(j for j in jobs if series_name(j) == other).engine == job.engine)
        colours[name] = shades[used % len(shades)]
    metrics = [("e2e", "end to end: decode + preprocess + invoke + top-5")]
    if any(j.invoke for j in jobs):
        metrics.append(("invoke", "invoke alone (runtime only)"))
    panels = [(metric, title, t) for metric, title in metrics for t in threads]
    bars_per_panel = len(variants) * len(series)
    fig, axes = plt.subplots(len(panels), 1, figsize=(max(8.0, 0.42 * bars_per_panel + 3), 3.4 * len(panels) + 0.8),
                             dpi=120, squeeze=False)
    width = 0.8 / max(1, len(series))
    for (metric, title, t), row in zip(panels, axes):
        ax = row[0]
        bars = []
        for s_index, name in enumerate(series):
            for v_index, variant in enumerate(variants):
                job = next((j for j in jobs if series_name(j) == name and j.variant == variant
                            and (j.threads == t or (j.threads is None and t == top))), None)
                stats = getattr(job, metric) if job else None
                if stats is not None:
                    bars.append((v_index + (s_index - (len(series) - 1) / 2) * width, name, stats))
        ceiling = _ceiling([b[2] for b in bars])
        for x, name, stats in bars:
            # A bar or whisker past the ceiling is cut there and its value written on top, so one slow
            # runtime does not flatten every other bar of the panel.
            p50, p90, p99 = (min(v, ceiling) for v in (stats.p50_ms, stats.p90_ms, stats.p99_ms))
            ax.bar([x], [p50], width=width * 0.9, color=colours[name], label=name, zorder=2)
            ax.vlines(x, p50, p99, color="black", linewidth=1, zorder=3)
            if stats.p90_ms <= ceiling:
                ax.hlines(p90, x - width * 0.3, x + width * 0.3, color="black", linewidth=2.2, zorder=3)
            if stats.p99_ms <= ceiling:
                ax.hlines(p99, x - width * 0.18, x + width * 0.18, color="black", linewidth=1, zorder=3)
            text = f"{stats.p50_ms:.1f}" + ("↑" if stats.p99_ms > ceiling else "")
            ax.annotate(text, (x, p99), xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                        rotation=90, fontsize=7.5, zorder=4)
        ax.set_xticks(range(len(variants)))
        # "model-variant" on two lines: a long model name on one line runs past the panel's edges.
        ax.set_xticklabels([v.replace("-", "\n", 1) for v in variants], fontsize=9)
        ax.set_ylabel("ms per image")
        ax.set_ylim(0, ceiling * 1.35)
        label = f"{t} thread{'s' if t != 1 else ''}" if t is not None else "default threads"
        ax.set_title(f"{title}\n{label}" + (" (MediaPipe: its own default)" if t == top and any(j.threads is None for j in jobs) else ""), fontsize=10)
        ax.grid(True, axis="y", alpha=0.3, zorder=0)
    handles, labels = [], []
    for ax in axes.flat:
        for h, l in zip(*ax.get_legend_handles_labels()):
            if l not in labels:
                handles.append(h)
                labels.append(l)
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 1 - 0.62 / fig.get_figheight()),
               ncol=min(3, len(labels)), fontsize=9, frameon=False)
    fig.suptitle("Latency per image (ms, lower is better)\n"
                 "bar and number = p50, thick tick = p90, thin tick = p99, ↑ = cut at the top",
                 fontsize=11, y=1 - 0.08 / fig.get_figheight(), va="top")
    rows_of_legend = (len(labels) + 2) // 3
    fig.tight_layout(rect=(0, 0, 1, 1 - (0.65 + 0.2 * rows_of_legend) / fig.get_figheight()))
    _save(fig, path)
    plt.close(fig)
    return Path(path)


def _ceiling(stats: list) -> float:
    """The y-axis top of a latency panel: the largest p99, unless it dwarfs the typical p90 (then 3x the median p90)."""
    if not stats:
        return 1.0
    highest = max(s.p99_ms for s in stats)
    typical = 3 * float(sorted(s.p90_ms for s in stats)[len(stats) // 2])
    return max(min(highest, typical), max(s.p50_ms for s in stats if s.p50_ms <= typical) if any(s.p50_ms <= typical for s in stats) else typical)


def write_charts(report: BenchmarkReport, folder: str | Path) -> list[Path]:
    """Write accuracy_vs_size.png and latency.png into `folder` (nothing when matplotlib is missing)."""
    try:
        _pyplot()
    except ImportError:
        return []
    folder = Path(folder)
    written = [plot_accuracy_vs_size(report, folder / "accuracy_vs_size.png"), plot_latency(report, folder / "latency.png")]
    return [p for p in written if p]
