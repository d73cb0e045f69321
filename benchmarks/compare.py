"""Side-by-side difference of two benchmark reports (another run, another machine, another model)."""

from __future__ import annotations

import math

from training.benchmark_json import BenchmarkReport

__all__ = ["compare_reports", "job_key"]


def job_key(job_id: str) -> str:
    """A job's name without its interpreter tag ("…@venv-tflite"), which differs between machines."""
    return job_id.split("@", 1)[0]


def _f(value, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{digits}f}"


def _ratio(a, b) -> str:
    if not a or not b:
        return "–"
    return f"{b / a:.2f}×"


def _delta_points(a, b) -> str:
    if a is None or b is None:
        return "–"
    return f"{100 * (b - a):+.2f}"


def _grid(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    def line(r):
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
    return [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]


def _realworld_rows(a: BenchmarkReport, b: BenchmarkReport) -> list[str]:
    """Real-world photo sets both runs scored (`--photos`): top-1 and mean per-class top-1, B − A in points."""
    rw_a = {(r.photo_set, r.variant): r for r in a.realworld}
    rw_b = {(r.photo_set, r.variant): r for r in b.realworld}
    rows = []
    for key in [k for k in rw_a if k in rw_b]:
        x, y = rw_a[key], rw_b[key]
        rows.append([f"{key[1]} on {key[0]}",
                     _f(100 * x.scores.top1), _f(100 * y.scores.top1), _delta_points(x.scores.top1, y.scores.top1),
                     _f(100 * x.scores.mean_class_top1), _f(100 * y.scores.mean_class_top1),
                     _delta_points(x.scores.mean_class_top1, y.scores.mean_class_top1)])
    if not rows:
        return []
    return ["", "Real-world photos (%, Δ in points)"] + _grid(
        ["variant on photo set", "top1 A", "top1 B", "Δ", "mean/class A", "mean/class B", "Δ"], rows)


def compare_reports(a: BenchmarkReport, b: BenchmarkReport, name_a: str = "A", name_b: str = "B") -> str:
    """A text report: machines, accuracy (B − A in points) and speed/memory (B / A) of every shared job."""
    out = [f"A = {name_a}: {a.created}, {a.machine.cpu_model} ({a.machine.architecture}, {a.machine.usable_cores} cores), "
           f"{a.dataset.source}/{a.dataset.subset} {a.dataset.n_images} images",
           f"B = {name_b}: {b.created}, {b.machine.cpu_model} ({b.machine.architecture}, {b.machine.usable_cores} cores), "
           f"{b.dataset.source}/{b.dataset.subset} {b.dataset.n_images} images"]
    if a.dataset.digest != b.dataset.digest:
        out.append("Note: the two runs classified different images (dataset digests differ): accuracy is not strictly comparable.")
    acc_a = {x.variant: x for x in a.accuracy}
    acc_b = {x.variant: x for x in b.accuracy}
    rows = []
    for variant in list(acc_a) + [v for v in acc_b if v not in acc_a]:
        x, y = acc_a.get(variant), acc_b.get(variant)
        rows.append([variant,
                     _f(x and 100 * x.top1), _f(y and 100 * y.top1), _delta_points(x and x.top1, y and y.top1),
                     _f(x and 100 * x.top5), _f(y and 100 * y.top5), _delta_points(x and x.top5, y and y.top5),
                     _f(x and x.images_per_s, 0), _f(y and y.images_per_s, 0), _ratio(x and x.images_per_s, y and y.images_per_s),
                     _f(x and x.invoke_ratio), _f(y and y.invoke_ratio)])
    out += ["", "Accuracy (%, Δ in points; accuracy-pass speed in images/s, B/A; pass time / invoke-only time on the same images)"]
    out += _grid(["variant", "top1 A", "top1 B", "Δ", "top5 A", "top5 B", "Δ", "img/s A", "img/s B", "B/A",
                  "pass/invoke A", "pass/invoke B"], rows)

    out += _realworld_rows(a, b)

    jobs_a = {job_key(j.job_id): j for j in a.jobs}
    jobs_b = {job_key(j.job_id): j for j in b.jobs}
    rows = []
    for key in [k for k in jobs_a if k in jobs_b]:
        x, y = jobs_a[key], jobs_b[key]
        rows.append([key,
                     _f(x.e2e and x.e2e.p50_ms), _f(y.e2e and y.e2e.p50_ms), _ratio(x.e2e and x.e2e.p50_ms, y.e2e and y.e2e.p50_ms),
                     _f(x.invoke and x.invoke.p50_ms), _f(y.invoke and y.invoke.p50_ms), _ratio(x.invoke and x.invoke.p50_ms, y.invoke and y.invoke.p50_ms),
                     _f(x.single_images_per_s, 1), _f(y.single_images_per_s, 1), _ratio(x.single_images_per_s, y.single_images_per_s),
                     _f(x.peak_rss_bytes and x.peak_rss_bytes / 1e6, 0), _f(y.peak_rss_bytes and y.peak_rss_bytes / 1e6, 0)])
    out += ["", "Speed (end-to-end and invoke p50 in ms, images/s, peak RSS in MB; B/A)"]
    out += _grid(["job", "e2e A", "e2e B", "B/A", "inv A", "inv B", "B/A", "img/s A", "img/s B", "B/A", "RSS A", "RSS B"], rows)
    only_a = [k for k in jobs_a if k not in jobs_b]
    only_b = [k for k in jobs_b if k not in jobs_a]
    if only_a:
        out.append(f"Only in A: {', '.join(only_a)}")
    if only_b:
        out.append(f"Only in B: {', '.join(only_b)}")

    # A target's name ends with its scope in brackets, which a newer harness may word differently.
    def short(name: str) -> str:
        return name.split(" (", 1)[0]

    targets_a = {short(t.name): t for t in a.targets}
    targets_b = {short(t.name): t for t in b.targets}
    state = {True: "met", False: "MISSED", None: "–"}
    rows = []
    for name in list(targets_a) + [n for n in targets_b if n not in targets_a]:
        t, u = targets_a.get(name), targets_b.get(name)
        rows.append([name, _f(t and t.value, 3), state[t.passed if t else None], _f(u and u.value, 3), state[u.passed if u else None]])
    if rows:
        out += ["", "Targets"]
        out += _grid(["target", "A", "", "B", ""], rows)
    return "\n".join(out) + "\n"
