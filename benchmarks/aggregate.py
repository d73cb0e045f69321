"""Aggregating what the jobs measured into the report's results: per job, per variant's accuracy, and ratios."""

from __future__ import annotations

import numpy as np

from benchmarks.imageset import ImageSet
from benchmarks.job_record import JobRecord
from benchmarks.models import ModelFile
from benchmarks.stats import per_class_accuracy, summarize_latencies, throughput, top1_agreement, topk_accuracy
from training.benchmark_json import AccuracyResult, JobResult, Ratio

__all__ = ["job_results", "accuracy_results", "throughput_ratios"]


def job_results(records: list[JobRecord], batch: int, labels: np.ndarray, label_maps: dict, threads) -> list[JobResult]:
    """Each job's timings, memory and timing-set accuracy (and agreement with the SDK job of its variant and threads)."""
    by_key = {(r.job.model.variant, r.job.engine, r.job.threads, r.job.main_python): r for r in records if r.job.engine == "sdk"}
    results = []
    for record in records:
        job, ready, final = record.job, record.ready, record.final
        ok = not record.error and bool(record.e2e_ns)
        truth = label_maps[job.model.variant][labels]
        timing_top1 = agreement = None
        if record.e2e_top1:
            idx = sorted(record.e2e_top1)
            timing_top1 = top1_agreement([record.e2e_top1[i] for i in idx], truth[idx])
            reference = by_key.get((job.model.variant, "sdk", job.threads or max(threads), True))
            if reference is not None and reference.e2e_top1:
                common = sorted(set(idx) & set(reference.e2e_top1))
                if common:
                    agreement = top1_agreement([record.e2e_top1[i] for i in common], [reference.e2e_top1[i] for i in common])
        results.append(JobResult(
            job_id=job.job_id, variant=job.model.variant, engine=job.engine,
            runtime=ready.get("runtime") or job.runtime or "", runtime_version=ready.get("runtime_version") or job.python.runtimes.get(job.runtime or "", ""),
            python=job.python.executable, python_version=job.python.version, threads=job.threads,
            cpus=tuple(ready["cpus"]) if ready.get("cpus") else None,
            status="ok" if ok else "failed", error=record.error if not ok else "",
            import_ms=ready.get("import_ns", 0) / 1e6 if ready else None,
            load_ms=ready.get("load_ns", 0) / 1e6 if ready else None,
            rss_start_bytes=ready.get("rss_start_bytes"),
            rss_after_load_bytes=ready.get("rss_after_load_bytes"),
            peak_rss_bytes=final.get("peak_rss_bytes"),
            e2e=summarize_latencies(record.e2e_ns) if record.e2e_ns else None,
            invoke=summarize_latencies(record.invoke_ns) if record.invoke_ns else None,
            single_images_per_s=throughput(len(record.e2e_ns), sum(record.e2e_ns)) if record.e2e_ns else None,
            cores_used=record.e2e_cpu_ns / record.e2e_wall_ns if record.e2e_wall_ns else None,
            batch_size=0 if job.engine == "mediapipe" else batch,
            batched_images_per_s=throughput(record.batch_images, record.batch_ns) if record.batch_ns and job.engine != "mediapipe" else None,
            timing_top1=timing_top1, agreement_with_sdk=agreement,
        ))
    return results


def accuracy_results(chosen: dict[str, JobRecord], models: list[ModelFile], images: ImageSet, labels: np.ndarray, label_maps: dict) -> list[AccuracyResult]:
    """Each variant's accuracy over every image (from its accuracy job), per class, and against its float32 twin."""
    n = len(labels)
    tops = {v: np.asarray([r.accuracy_topk[i] for i in range(n)]) for v, r in chosen.items() if len(r.accuracy_topk) == n}
    results = []
    for model in models:
        if model.variant not in tops:
            continue
        record, topk = chosen[model.variant], tops[model.variant]
        truth = label_maps[model.variant][labels]
        reference = next((m.variant for m in models if m.backbone == model.backbone and m.precision == "float32" and m.variant in tops), "")
        agreement = top1_agreement(topk[:, 0], tops[reference][:, 0]) if reference else None
        # Per-class accuracy in the dataset's class order and names.
        inverse = {int(model_label): c for c, model_label in enumerate(label_maps[model.variant])}
        predicted = np.asarray([inverse.get(int(t), -1) for t in topk[:, 0]])
        results.append(AccuracyResult(
            variant=model.variant, job_id=record.job.job_id, n_images=n,
            top1=topk_accuracy(topk, truth, 1), top5=topk_accuracy(topk, truth, min(5, topk.shape[1])),
            seconds=record.accuracy_ns / 1e9, images_per_s=throughput(n, record.accuracy_ns),
            invoke_seconds=record.accuracy_invoke_ns / 1e9 if record.accuracy_invoke_ns else None,
            reference=reference, agreement_with_reference=agreement,
            per_class=tuple(per_class_accuracy(predicted, labels, images.class_names)),
        ))
    return results


def _ratio(name: str, a: JobResult, b: JobResult) -> Ratio:
    return Ratio(name, a.variant, a.threads, a.job_id, b.job_id, b.e2e.p50_ms / a.e2e.p50_ms,
                 a.single_images_per_s / b.single_images_per_s)


def throughput_ratios(jobs: list[JobResult], threads) -> list[Ratio]:
    """SDK / bare interpreter and SDK / MediaPipe per variant and thread count; bare ai-edge-litert / tflite-runtime."""
    ok = [j for j in jobs if j.status == "ok" and j.e2e and j.single_images_per_s]
    main = jobs[0].python if jobs else ""
    ratios = []
    for sdk in (j for j in ok if j.engine == "sdk" and j.python == main):
        bare = next((j for j in ok if j.variant == sdk.variant and j.engine == "bare" and j.runtime == sdk.runtime
                     and j.threads == sdk.threads and j.python == main), None)
        if bare:
            ratios.append(_ratio("SDK / bare interpreter", sdk, bare))
        mediapipe = next((j for j in ok if j.variant == sdk.variant and j.engine == "mediapipe"), None)
        if mediapipe:
            ratios.append(_ratio("SDK / MediaPipe", sdk, mediapipe))
    for new in (j for j in ok if j.engine == "bare" and j.runtime == "ai-edge-litert"):
        for old in (j for j in ok if j.engine == "bare" and j.runtime == "tflite-runtime" and j.variant == new.variant and j.threads == new.threads):
            ratios.append(_ratio("ai-edge-litert / tflite-runtime (bare)", new, old))
    return ratios
