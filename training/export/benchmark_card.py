"""The model card's accuracy, size and latency table from a benchmark harness result (benchmark.json).

Reads the JSON the harness writes (`python -m benchmarks run`); it does not import the harness,
so data still flows one way: the harness measures the released files, the card quotes it.
"""

from __future__ import annotations

import json
from pathlib import Path

from training.export.errors import ExportError
from training.export.model_card import REALWORLD_END, REALWORLD_START, replace_accuracy_section

__all__ = ["benchmark_section", "benchmark_realworld_section", "apply_benchmark"]


def _pct(x) -> str:
    return "—" if x is None else f"{100 * x:.2f}%"


def _ms(stats) -> str:
    return "—" if not stats or stats.get("p50_ms") is None else f"{stats['p50_ms']:.1f} ms"


def _release_order(name: str) -> tuple[int, str]:
    from training.export.evaluate import variant_of
    from training.export.quantization import VARIANTS

    variant = variant_of(name)
    return (VARIANTS.index(variant) if variant in VARIANTS else len(VARIANTS), name)


def _latency_job(jobs: list[dict], variant: str) -> dict | None:
    # The SDK on ai-edge-litert with the most threads measured: what `flowerlite classify` does.
    ok = [j for j in jobs if j.get("variant") == variant and j.get("status") == "ok" and j.get("engine") == "sdk"]
    litert = [j for j in ok if j.get("runtime") == "ai-edge-litert"] or ok
    return max(litert, key=lambda j: j.get("threads") or 0, default=None)


def benchmark_section(report: dict, released: dict[str, str]) -> str:
    """Markdown for the card from a parsed benchmark.json; `released` maps file name -> sha256.

    Raises:
        ExportError: if the benchmark did not measure exactly the released files.
    """
    models = {Path(m["path"]).name: m for m in report.get("models", [])}
    stale = [name for name, digest in released.items() if models.get(name, {}).get("sha256") != digest]
    if stale:
        raise ExportError(f"the benchmark did not measure the released {', '.join(stale)} (missing or other sha256): "
                          "re-run the benchmark on models/")
    accuracy = {a["variant"]: a for a in report.get("accuracy", [])}
    dataset = report.get("dataset", {})
    machine = report.get("machine", {})
    rows, base = [], None
    for name in sorted(released, key=_release_order):
        model = models[name]
        acc = accuracy.get(model["variant"], {})
        if model.get("precision") == "float32":
            base = acc.get("top1")
        rows.append((name, model, acc, _latency_job(report.get("jobs", []), model["variant"])))
    lines = [f"## Accuracy, size and latency ({dataset.get('subset', 'test')}, {dataset.get('n_images', '?')} images; "
             "benchmark harness)", "",
             "| file | size | top-1 | top-5 | vs float32 | latency p50 (end to end) | invoke p50 | engine |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for name, model, acc, job in rows:
        top1 = acc.get("top1")
        delta = "—" if base is None or top1 is None or model.get("precision") == "float32" else f"{100 * (top1 - base):+.2f} pts"
        engine = "—" if job is None else f"{job['engine']} / {job['runtime']} {job.get('runtime_version', '')}, {job.get('threads')} threads"
        lines.append(f"| `{name}` | {model['size_bytes'] / 1e6:.2f} MB | {_pct(top1)} | {_pct(acc.get('top5'))} | {delta} | "
                     f"{_ms(job and job.get('e2e'))} | {_ms(job and job.get('invoke'))} | {engine} |")
    lines += ["", f"Machine: {machine.get('cpu_model', '?')}, {machine.get('usable_cores', '?')} usable cores, "
              f"{machine.get('os', '?')}; measured {report.get('created', '?')}.", "",
              "Measured with:", "", "```sh", report.get("command", "python -m benchmarks run"), "```"]
    return "\n".join(lines)


def benchmark_realworld_section(report: dict, released: dict[str, str]) -> str | None:
    """Markdown of the harness's real-world figures (`--photos`) for the released files, or None if it has none.

    The confident level shown is the one each file carries, with the share answered and the accuracy
    the harness measured at it; one photo set (the first) is quoted.
    """
    from training.export.model_card import RealWorldRow, realworld_section
    from training.realworld import PhotoScores, Selective

    entries = report.get("realworld") or []
    if not entries:
        return None
    photo_set = entries[0]["photo_set"]
    models = {m["variant"]: Path(m["path"]).name for m in report.get("models", [])}
    rows = []
    for entry in entries:
        name = models.get(entry["variant"])
        if entry["photo_set"] != photo_set or name not in released:
            continue
        at = entry.get("at_confident")
        confident = None if at is None else Selective(**{**at, "threshold": entry["confident_score"],
                                                         "accuracy": float("nan") if at["accuracy"] is None else at["accuracy"]})
        rows.append((_release_order(name), RealWorldRow(name, entry["variant"].rsplit("-", 1)[-1],
                                                        PhotoScores.from_dict(entry["scores"]), confident)))
    if not rows:
        return None
    n_labels = next((m.get("labels") for m in report.get("models", []) if m.get("labels")), "?")
    text = realworld_section([r for _, r in sorted(rows, key=lambda x: x[0])], n_labels, photo_set,
                             report.get("command", "python -m benchmarks run"), "benchmark harness")
    return text.replace("Measured with:", f"Measured {report.get('created', '?')} with:")


def apply_benchmark(models_dir: str | Path, benchmark_json: str | Path) -> Path:
    """Replace the accuracy (and, if measured, real-world) section of models_dir/MODEL_CARD.md by the benchmark's
    figures; refresh SHA256SUMS.

    Raises:
        ExportError: if the card or the benchmark file is missing or does not match the released files.
    """
    from training.export.exporter import sha256_file
    from training.export.release import CARD_NAME, write_checksums

    models_dir, benchmark_json = Path(models_dir), Path(benchmark_json)
    card = models_dir / CARD_NAME
    if not card.exists():
        raise ExportError(f"No model card in {models_dir}: run `python -m training release` first")
    try:
        report = json.loads(benchmark_json.read_text())
    except (OSError, ValueError) as exc:
        raise ExportError(f"Cannot read the benchmark result {benchmark_json} ({exc})") from None
    released = {p.name: sha256_file(p) for p in sorted(models_dir.glob("flowerlite-*.tflite"))}
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
