"""training.data.sampling: the one stratified sampler (release calibration, export checks, the harness's --limit)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from training.data.oxford102 import Sample
from training.data.sampling import stratified_indices


def test_a_stratified_pick_is_spread_over_the_classes_seeded_and_without_repeats():
    labels = [i % 5 for i in range(50)]
    chosen = stratified_indices(labels, 10, seed=3)
    assert len(set(chosen)) == 10 and Counter(labels[i] for i in chosen) == {c: 2 for c in range(5)}
    assert stratified_indices(labels, 10, seed=3) == chosen
    assert stratified_indices(labels, 10, seed=4) != chosen
    assert sorted(stratified_indices(labels, 99, seed=0)) == list(range(50))  # more than there are: all of them


def test_small_classes_are_used_up_before_big_ones_give_more():
    labels = [0] * 10 + [1] * 2
    assert sorted(labels[i] for i in stratified_indices(labels, 6, seed=0)) == [0, 0, 0, 0, 1, 1]



def test_the_release_calibration_sample_is_this_pick():
    from training.export.calibration import stratified_sample

    labels = [(7 * i) % 6 for i in range(40)]
    samples = [Sample(Path(f"{i}.jpg"), label) for i, label in enumerate(labels)]
    assert stratified_sample(samples, 9, seed=1) == [samples[i] for i in stratified_indices(labels, 9, seed=1)]
