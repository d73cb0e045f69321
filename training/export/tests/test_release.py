"""export_run / release: verified variants, model card, SHA256SUMS, selection on val, safe swap into models/."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest

from training.export.errors import QuantizationLossError, RunError, VerificationError
from training.export.exporter import ExportedModel, ModelInfo
from training.export.release import ExportOptions, check_int8_loss, export_run, report_json
from training.export.run import load_run, select_best_run
from training.export.tests.conftest import MEAN, STD, TINY_LABELS, write_run
from training.export.verify import verify_model

VARIANTS = ("float32", "float16", "int8", "dynamic")


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_release_writes_one_verified_file_per_variant(tiny_release):
    names = sorted(p.name for p in tiny_release.out_dir.glob("*.tflite"))
    assert names == sorted(f"flowerlite-efficientnet_lite0-{v}.tflite" for v in VARIANTS)
    assert [c.variant for c in tiny_release.checks] == list(VARIANTS)
    assert all(c.images == 12 and c.top1_agreement == 1.0 for c in tiny_release.checks)


def test_release_replaces_the_previous_release_and_keeps_other_files(tiny_release):
    models = tiny_release.out_dir
    assert not (models / "flowerlite-old_backbone-int8.tflite").exists()
    assert len(list(models.glob("*-int8.tflite"))) == 1  # the SDK's default model is unambiguous
    assert (models / "README.txt").read_text() == "not part of a release\n"
    assert not (models.parent / ".models.staging").exists()


def test_sha256sums_lists_every_released_file_with_its_digest(tiny_release):
    models = tiny_release.out_dir
    lines = (models / "SHA256SUMS").read_text().splitlines()
    listed = dict(reversed(line.split("  ")) for line in lines)
    assert set(listed) == {p.name for p in models.glob("*.tflite")} | {"MODEL_CARD.md"}
    assert all(listed[name] == _sha(models / name) for name in listed)


def test_model_card_states_config_checksums_files_protocol_and_accuracy(tiny_release):
    card = (tiny_release.out_dir / "MODEL_CARD.md").read_text()
    run = tiny_release.run
    assert run.config_toml.strip() in card
    assert all(value in card for value in run.data_checksums.values())
    for m in tiny_release.models:
        assert f"`{m.path.name}`" in card and m.sha256 in card and str(m.size_bytes) in card
    assert "15 train images for training, 12 val images for every choice" in card
    assert "12 test images for reporting only" in card
    assert "scale 0.0078125 and zero point 127" in card  # the int8 input is the raw pixel
    rows = {line.split("|")[2].strip(): line for line in card.splitlines()
            if line.startswith("| `flowerlite-") and " B) | `" in line}  # the Files table
    int8_row, float_row = rows["int8"], rows["float32"]
    assert "score threshold 0.00195312 in its metadata" in int8_row  # half of the 1/256 output step
    assert "score threshold" not in float_row
    assert "python -m training evaluate" in card or "export's own evaluation" in card
    assert "Apache-2.0" in card and "Oxford 102" in card
    assert "bash scripts/release.sh" in card
    assert "| `flowerlite-efficientnet_lite0-int8.tflite` | int8 | 12 | 100.00% | +0.00 pts |" in card
    fit = tiny_release.temperature
    assert fit is not None and fit.images == 12 and fit.nll_after <= fit.nll_before
    assert f"Probabilities: temperature {fit.temperature:.3f} fitted on 12 val images" in card


def test_release_measures_test_top1_of_each_variant_through_the_sdk(tiny_release):
    assert [(a.variant, a.images, a.top1) for a in tiny_release.accuracy] == [(v, 12, 1.0) for v in VARIANTS]
    assert tiny_release.int8_loss() == 0.0
    assert tiny_release.input_quantization == (0.0078125, 127)


def test_best_run_is_chosen_on_val_never_on_test(tmp_path, tiny_run):
    low_val = shutil.copytree(tiny_run, tmp_path / "low_val_high_test")
    high_val = shutil.copytree(tiny_run, tmp_path / "high_val_low_test")
    (low_val / "metrics.json").write_text(json.dumps({"phase2_val": 0.80, "phase2_test": 0.99}))
    (high_val / "metrics.json").write_text(json.dumps({"phase2_val": 0.85, "phase2_test": 0.10}))
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    best, candidates = select_best_run([low_val, unfinished, high_val])
    assert best.run_dir == high_val
    assert [c.run_dir for c in candidates] == [low_val, high_val]


def _trained_on_val(run_dir):
    config = (run_dir / "config.toml").read_text().replace('train_on = "train"', 'train_on = "train+val"')
    assert "train+val" in config
    (run_dir / "config.toml").write_text(config)
    (run_dir / "metrics.json").write_text(json.dumps({"phase2_val": None, "phase2_test": 0.5}))
    return run_dir


def test_a_run_trained_on_train_plus_val_is_released_beside_its_official_twins(tmp_path, tiny_run):
    official = shutil.copytree(tiny_run, tmp_path / "official")
    shipped = _trained_on_val(shutil.copytree(tiny_run, tmp_path / "shipped"))

    best, candidates = select_best_run([official, shipped])

    assert best.run_dir == shipped and best.val_accuracy is None and best.trained_on_val
    assert [c.run_dir for c in candidates] == [official, shipped]


def test_two_runs_trained_on_train_plus_val_cannot_be_chosen_between(tmp_path, tiny_run):
    first = _trained_on_val(shutil.copytree(tiny_run, tmp_path / "first"))
    second = _trained_on_val(shutil.copytree(tiny_run, tmp_path / "second"))

    with pytest.raises(RunError, match=r"More than one run trained on train\+val .*first.*second"):
        select_best_run([first, second])


def test_a_train_plus_val_soup_is_released_over_the_train_plus_val_runs_it_averages(tmp_path, tiny_run):
    official = shutil.copytree(tiny_run, tmp_path / "official")
    first = _trained_on_val(shutil.copytree(tiny_run, tmp_path / "first"))
    second = _trained_on_val(shutil.copytree(tiny_run, tmp_path / "second"))
    soup = _trained_on_val(shutil.copytree(tiny_run, tmp_path / "soup"))
    with (soup / "config.toml").open("a") as f:
        f.write(f'\n[soup]\nruns = ["{first}", "{second}"]\n')

    best, candidates = select_best_run([official, first, second, soup])

    assert best.run_dir == soup and best.config.soup.runs == (str(first), str(second))
    assert [c.run_dir for c in candidates] == [official, first, second, soup]
    with pytest.raises(RunError, match="More than one run trained on train"):
        select_best_run([official, first, soup, tmp_path / "missing"] + [_trained_on_val(shutil.copytree(tiny_run, tmp_path / "third"))])


def test_the_card_names_the_best_official_twin_and_the_soup_a_release_is(tmp_path, tiny_run):
    from training.export.export_card import _official_protocol_notes

    low, high = (shutil.copytree(tiny_run, tmp_path / n) for n in ("low", "high"))
    (low / "metrics.json").write_text(json.dumps({"phase2_val": 0.80, "phase2_test": 0.70}))
    (high / "metrics.json").write_text(json.dumps({"phase2_val": 0.90, "phase2_test": 0.60}))
    soup = _trained_on_val(shutil.copytree(tiny_run, tmp_path / "soup"))
    with (soup / "config.toml").open("a") as f:
        f.write('\n[soup]\nruns = ["runs/a", "runs/b"]\n')
    runs = [load_run(r) for r in (low, high, soup)]

    notes = _official_protocol_notes(runs[2], runs)

    assert len(notes) == 2 and f"`{high}` val 90.00%, test 60.00%" in notes[0] and str(low) not in notes[0]
    assert "the best on val of the 2 official-protocol runs given" in notes[0]
    assert notes[1].startswith("The released run is a model soup: the weight average of `runs/a`, `runs/b`")


def test_the_card_of_a_train_plus_val_release_says_so(tmp_path, tiny_run, tiny_split):
    from training.data.oxford102 import Split
    from training.export.release import ExportOptions, export_run

    run = _trained_on_val(shutil.copytree(tiny_run, tmp_path / "shipped"))
    merged = Split(tiny_split.train + tiny_split.val, (), tiny_split.test, tiny_split.class_names, tiny_split.root)

    report = export_run(run, merged, tmp_path / "out", ExportOptions(variants=("float32",), check_data=False))

    card = report.card_path.read_text()
    assert "**trained on train+val**" in card and "sample of train images" in card
    assert report.temperature is None and report.checks[0].images == len(merged.train)
    assert "Official protocol" not in card  # no official twin given to this export


def test_no_finished_run_is_an_error_naming_the_missing_file(tmp_path):
    (tmp_path / "run").mkdir()
    with pytest.raises(RunError, match=r"run has no config.toml: the run is unfinished"):
        select_best_run([tmp_path / "run"])


def test_export_refuses_a_run_trained_on_other_data(tmp_path, tiny_run, tiny_split):
    run = shutil.copytree(tiny_run, tmp_path / "other_data")
    sums = json.loads((run / "data_checksums.json").read_text())
    sums["train_images"] = "0" * 64
    (run / "data_checksums.json").write_text(json.dumps(sums))
    with pytest.raises(RunError, match=r"other_data was trained on other data"):
        export_run(load_run(run), tiny_split, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_int8_loss_above_the_limit_stops_the_release(tmp_path):
    with pytest.raises(QuantizationLossError, match=r"int8 loses 0.70 points.*limit 0.5.*models is unchanged"):
        check_int8_loss(0.7, 0.5, tmp_path / ".models.staging", tmp_path / "models")
    check_int8_loss(0.4, 0.5, tmp_path / ".models.staging", tmp_path / "models")  # within: no error


def _info(labels=TINY_LABELS, confident_score=None) -> ModelInfo:
    return ModelInfo("flowerlite efficientnet_lite0", "0.0.1", "", labels, MEAN, STD, confident_score=confident_score)


def test_verification_fails_loudly_when_a_file_disagrees_with_keras(tiny_release, tiny_split):
    int8 = next(m for m in tiny_release.models if m.variant == "int8")
    paths = [s.path for s in tiny_split.val]
    wrong = np.roll(np.eye(3, dtype=np.float32)[[s.label for s in tiny_split.val]], 1, axis=1)  # every answer shifted
    with pytest.raises(VerificationError, match=r"int8.tflite \(int8\) disagrees with its Keras model on 12 val images: "
                                                r"top-1 agreement 0.0% < 95.0%"):
        verify_model(int8.path, "int8", wrong, paths, _info(confident_score=int8.confident_score))


def test_verification_fails_when_the_metadata_does_not_round_trip(tiny_release, tiny_split):
    f32 = next(m for m in tiny_release.models if m.variant == "float32")
    other = ("a", "b", "c")
    with pytest.raises(VerificationError, match=r"metadata does not round-trip: labels differ"):
        verify_model(f32.path, "float32", np.zeros((0, 3)), [], _info(other, f32.confident_score))
    with pytest.raises(VerificationError, match=r"metadata does not round-trip: confident_score reads 0.\d+, expected None"):
        verify_model(f32.path, "float32", np.zeros((0, 3)), [], _info())


def test_uint8_input_quantisation_other_than_the_normalisation_is_refused(tmp_path):
    from training.export.variants import _check_input_quantization

    exported = ExportedModel(tmp_path / "m.tflite", "int8", 1, "0", "uint8", "uint8", (0.01, 120), (1 / 256, 0), 0.0)
    with pytest.raises(VerificationError, match=r"scale=0.01, zero_point=120.*--calibration-images"):
        _check_input_quantization(exported, _info())


def test_a_file_beyond_tolerance_stops_the_export_and_is_set_aside(tmp_path, tiny_run, tiny_split):
    from training.export.verify import Tolerance

    impossible = {"float32": Tolerance(min_top1_agreement=1.01, max_mean_delta=1.0, max_delta=1.0)}
    options = ExportOptions(variants=("float32",), verify_images=6, tolerances=impossible)
    with pytest.raises(VerificationError, match=r"top-1 agreement 100.0% < 101.0%.*kept as .*float32.tflite.rejected"):
        export_run(load_run(tiny_run), tiny_split, tmp_path / "out", options)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["flowerlite-efficientnet_lite0-float32.tflite.rejected"]


def test_every_released_file_carries_the_confident_level_of_its_own_scores_on_the_photos(tiny_release, tiny_photos):
    from flowerlite import Classifier
    from flowerlite.metadata import read_metadata

    from training.data.photoset import load_photo_set
    from training.export.verify import sdk_probabilities
    from training.realworld import confident_level

    photos = load_photo_set(tiny_photos, TINY_LABELS)
    truth = [s.label for s in photos.samples]
    assert photos.classes == (0, 2)  # 'Red Campion' and 'bluebell' among the three labels
    assert [p.variant for p in tiny_release.photo_sets] == list(VARIANTS)
    for model, result in zip(tiny_release.models, tiny_release.photo_sets, strict=True):
        assert result.path == model.path and model.path.parent == tiny_release.out_dir
        level = confident_level(sdk_probabilities(model.path, [s.path for s in photos.samples]), truth)
        # Strictly inside the curve: the toss-up photos (about 0.5, half of them wrong) fall below it.
        assert level is not None and 0.5 < level.threshold < 0.9 and level.coverage == pytest.approx(24 / 34)
        assert level.accuracy >= 0.9 and result.confident == level
        assert read_metadata(model.path).confident_score == model.confident_score == level.threshold
        with Classifier(model.path) as clf:
            assert clf.info.confident_score == level.threshold
        assert result.scores.images == 34 and result.scores.top1 == pytest.approx(24 / 34)
        assert result.scores.per_class == {"red campion": 1.0, "bluebell": 0.5}
        assert _sha(model.path) == model.sha256  # the checksums are those of the rewritten files
    report = json.loads(report_json(tiny_release))
    assert [p["scores"]["images"] for p in report["photo_sets"]] == [34] * 4
    assert report["photo_sets"][0]["confident"]["threshold"] == tiny_release.photo_sets[0].confident.threshold


def test_model_card_has_a_real_world_section_next_to_the_oxford_figures(tiny_release, tiny_photos):
    card = (tiny_release.out_dir / "MODEL_CARD.md").read_text()
    level = tiny_release.photo_sets[0].confident
    assert card.index("<!-- accuracy:end -->") < card.index("<!-- realworld:start -->") < card.index("## Quantisation")
    assert f"## Real-world photos (`{tiny_photos}`: 34 photos of 2 species, through the flowerlite SDK)" in card
    assert "34 photos of only 2 of the 3 species (red campion, bluebell)" in card
    assert (f"| `flowerlite-efficientnet_lite0-int8.tflite` | int8 | 34 | 70.59% | 100.00% | 75.00% | "
            f"{level.threshold:g} | 70.59% | 100.00% |") in card
    assert "| file | red campion | bluebell |" in card
    assert "| `flowerlite-efficientnet_lite0-float32.tflite` | 100.00% | 50.00% |" in card
    assert "| file | score ≥ 0.3 | score ≥ 0.5 | score ≥ 0.7 | score ≥ 0.9 |" in card
    assert "| `flowerlite-efficientnet_lite0-float16.tflite` | 100.00% / 70.59% | 100.00% / 70.59% | 70.59% / 100.00% |" in card
    assert "never on Oxford test" in card and "`flowerlite_confident_score`" in card
    assert "python -m training evaluate --photos PHOTOS" in card
    assert f"confident score {level.threshold:g} in its metadata" in card  # the Files table
    assert "- Confident score: each file measured on real-world photos carries" in card


def test_a_photo_folder_the_model_does_not_know_stops_the_export_before_any_conversion(tmp_path, tiny_run, tiny_split,
                                                                                       tiny_photos):
    from training.errors import DatasetError

    photos = shutil.copytree(tiny_photos, tmp_path / "photos")
    (photos / "bluebell").rename(photos / "tulip")
    with pytest.raises(DatasetError, match=r"folder 'tulip' is not one of the model's 3 labels"):
        export_run(load_run(tiny_run), tiny_split, tmp_path / "out", ExportOptions(photo_set=photos))
    assert not list((tmp_path / "out").glob("*.tflite"))


def test_a_card_without_photos_says_the_real_world_figures_were_not_measured():
    from training.export.model_card import ModelCard, render_model_card

    card = ModelCard("t", "1", "b", 32, (0,), (1,), ("a", "b"), "", {}, {}, [], "", "run", (1, 1, 1))
    text = render_model_card(card)
    assert "## Real-world photos\n\nNot measured by this export" in text and "Confident score:" not in text
