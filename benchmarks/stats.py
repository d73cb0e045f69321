"""Statistics of a benchmark: latency percentiles, throughput, accuracy and agreement (numpy only)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from training.benchmark_json import ClassAccuracy, LatencyStats  # benchmark.json's schema

__all__ = [
    "LatencyStats",
    "ClassAccuracy",
    "summarize_latencies",
    "throughput",
    "topk_accuracy",
    "top1_agreement",
    "per_class_accuracy",
]

PERCENTILES = (50, 90, 99)


def summarize_latencies(durations_ns: Sequence[int]) -> LatencyStats:
    """Mean, spread and p50/p90/p99 (linear interpolation between order statistics) of timings in ns."""
    values = np.asarray(durations_ns, dtype=np.float64) / 1e6
    if values.size == 0:
        raise ValueError("Cannot summarise an empty list of latencies. Received: durations_ns=[]")
    p50, p90, p99 = np.percentile(values, PERCENTILES, method="linear")
    return LatencyStats(
        n=int(values.size),
        mean_ms=float(values.mean()),
        std_ms=float(values.std(ddof=1)) if values.size > 1 else 0.0,
        min_ms=float(values.min()),
        p50_ms=float(p50),
        p90_ms=float(p90),
        p99_ms=float(p99),
        max_ms=float(values.max()),
    )


def throughput(n_images: int, elapsed_ns: int) -> float:
    """Images per second of `n_images` processed in `elapsed_ns` nanoseconds of wall time."""
    if elapsed_ns <= 0:
        raise ValueError(f"Elapsed time must be positive. Received: elapsed_ns={elapsed_ns}")
    return n_images * 1e9 / elapsed_ns


def topk_accuracy(topk: np.ndarray, labels: Sequence[int], k: int) -> float:
    """Fraction of rows of `topk` (n x K predicted labels, best first) holding the true label in the first k."""
    topk = np.asarray(topk)
    labels = np.asarray(labels)
    if topk.ndim != 2 or topk.shape[0] != labels.shape[0]:
        raise ValueError(f"Need one row of predictions per label. Received: topk.shape={topk.shape}, labels={labels.shape[0]}")
    if not 1 <= k <= topk.shape[1]:
        raise ValueError(f"k must be in 1..{topk.shape[1]}. Received: k={k}")
    if labels.size == 0:
        return float("nan")
    return float(np.mean(np.any(topk[:, :k] == labels[:, None], axis=1)))


def top1_agreement(top1_a: Sequence[int], top1_b: Sequence[int]) -> float:
    """Fraction of images on which two models put the same class first."""
    a, b = np.asarray(top1_a), np.asarray(top1_b)
    if a.shape != b.shape:
        raise ValueError(f"Both prediction lists must cover the same images. Received: {a.shape} and {b.shape}")
    return float(np.mean(a == b)) if a.size else float("nan")


def per_class_accuracy(top1: Sequence[int], labels: Sequence[int], class_names: Sequence[str]) -> list[ClassAccuracy]:
    """Top-1 accuracy of every class of `class_names` (classes with no image get total=0)."""
    top1, labels = np.asarray(top1), np.asarray(labels)
    n = len(class_names)
    totals = np.bincount(labels, minlength=n)
    correct = np.bincount(labels[top1 == labels], minlength=n)
    return [ClassAccuracy(i, class_names[i], int(correct[i]), int(totals[i])) for i in range(n)]
