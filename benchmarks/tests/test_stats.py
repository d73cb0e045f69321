"""Percentiles, throughput, accuracy, agreement and subset selection on inputs whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.errors import BenchmarkError
from benchmarks.imageset import select_subset
from benchmarks.stats import per_class_accuracy, summarize_latencies, throughput, top1_agreement, topk_accuracy


def test_latency_percentiles_interpolate_linearly_between_order_statistics():
    stats = summarize_latencies([ms * 1_000_000 for ms in range(1, 101)])  # 1..100 ms
    assert stats.n == 100
    assert stats.p50_ms == pytest.approx(50.5)
    assert stats.p90_ms == pytest.approx(90.1)
    assert stats.p99_ms == pytest.approx(99.01)
    assert (stats.min_ms, stats.max_ms, stats.mean_ms) == (1.0, 100.0, 50.5)
    assert stats.std_ms == pytest.approx(np.std(np.arange(1, 101), ddof=1))


def test_latency_of_one_sample_has_no_spread_and_an_empty_list_is_refused():
    one = summarize_latencies([2_500_000])
    assert (one.p50_ms, one.p99_ms, one.std_ms) == (2.5, 2.5, 0.0)
    with pytest.raises(ValueError, match="empty list of latencies"):
        summarize_latencies([])


def test_throughput_is_images_per_second_of_wall_time():
    assert throughput(100, 2_000_000_000) == pytest.approx(50.0)
    with pytest.raises(ValueError, match="elapsed_ns=0"):
        throughput(10, 0)


def test_topk_accuracy_counts_the_true_label_among_the_first_k():
    topk = np.array([[3, 1, 2], [0, 2, 1], [1, 0, 3], [2, 3, 0]])
    labels = [3, 2, 0, 1]
    assert topk_accuracy(topk, labels, 1) == 0.25
    assert topk_accuracy(topk, labels, 2) == 0.75
    assert topk_accuracy(topk, labels, 3) == 0.75
    with pytest.raises(ValueError, match="k must be in 1..3"):
        topk_accuracy(topk, labels, 4)
    with pytest.raises(ValueError, match="one row of predictions per label"):
        topk_accuracy(topk, labels[:3], 1)


def test_top1_agreement_is_the_fraction_of_equal_first_predictions():
    assert top1_agreement([1, 2, 3, 4], [1, 2, 0, 4]) == 0.75
    assert top1_agreement([5, 5], [5, 5]) == 1.0
    with pytest.raises(ValueError, match="same images"):
        top1_agreement([1, 2], [1])


def test_per_class_accuracy_counts_each_class_and_leaves_absent_classes_empty():
    result = per_class_accuracy([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], ["a", "b", "c", "d"])
    assert [(c.name, c.correct, c.total) for c in result] == [("a", 1, 2), ("b", 1, 2), ("c", 2, 2), ("d", 0, 0)]
    assert result[0].accuracy == 0.5 and np.isnan(result[3].accuracy)


def test_stratified_subset_is_spread_over_classes_seeded_and_in_original_order():
    labels = [i % 4 for i in range(40)]  # 4 classes x 10 images
    chosen = select_subset(labels, 8, "stratified", seed=1)
    assert chosen == sorted(chosen) and len(set(chosen)) == 8
    assert np.bincount([labels[i] for i in chosen], minlength=4).tolist() == [2, 2, 2, 2]
    assert select_subset(labels, 8, "stratified", seed=1) == chosen
    assert select_subset(labels, 8, "stratified", seed=2) != chosen


def test_stratified_subset_of_unbalanced_classes_takes_all_of_the_small_ones_first():
    labels = [0] * 10 + [1] * 2
    chosen = select_subset(labels, 6, "stratified", seed=0)
    assert sorted(labels[i] for i in chosen) == [0, 0, 0, 0, 1, 1]


def test_first_n_subset_and_a_limit_past_the_end():
    assert select_subset([0, 1, 2, 3], 2, "first", seed=0) == [0, 1]
    assert select_subset([0, 1, 2], 10, "stratified", seed=0) == [0, 1, 2]
    with pytest.raises(BenchmarkError, match="Unknown selection 'random'"):
        select_subset([0, 1], 1, "random", seed=0)


def test_a_job_reports_its_own_peak_memory_not_its_parents():
    # Linux carries getrusage's ru_maxrss over an exec: a worker started by a big parent reported the parent's peak.
    import subprocess
    import sys

    from .conftest import REPO

    ballast = bytearray(400 * 2**20)
    ballast[::4096] = b"\x01" * len(ballast[::4096])  # touch every page: 400 MB resident here
    done = subprocess.run([sys.executable, "-c", "from benchmarks.worker import peak_rss_bytes; print(peak_rss_bytes())"],
                          cwd=REPO, capture_output=True, text=True, check=True)
    assert int(done.stdout) < 200 * 2**20
    del ballast


def test_the_stratified_subset_is_the_build_chains_one_sampler_in_original_order():
    from training.data.sampling import stratified_indices

    labels = [(7 * i) % 6 for i in range(40)]
    assert select_subset(labels, 9, "stratified", seed=1) == sorted(stratified_indices(labels, 9, seed=1))
