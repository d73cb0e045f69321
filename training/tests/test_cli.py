"""`python -m training train`: a user's bad input gives one clear line and exit status 2, never a traceback."""

from __future__ import annotations

import socket

from training.__main__ import main


def _write(path, text):
    path.write_text(text)
    return path


def test_a_missing_config_file_exits_2_with_one_line(tmp_path, capsys):
    assert main(["train", "--config", str(tmp_path / "nope.toml")]) == 2
    err = capsys.readouterr().err
    assert err == f"error: Config file not found: {tmp_path / 'nope.toml'}\n"


def test_a_folder_config_pointing_nowhere_exits_2(tmp_path, capsys):
    config = _write(tmp_path / "own.toml", f'name = "own"\nbackbone = "vgg16"\n[data]\ndataset = "folder"\ndir = "{tmp_path / "absent"}"\n')

    assert main(["train", "--config", str(config), "--run-dir", str(tmp_path / "run")]) == 2
    assert f"error: Dataset folder not found: {tmp_path / 'absent'}" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_without_data_dir_the_oxford_download_runs_and_its_failure_is_one_line(tmp_path, capsys, monkeypatch):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("FLOWERLITE_OXFORD102_URL", f"http://127.0.0.1:{port}/")
    config = _write(tmp_path / "ox.toml", 'name = "ox"\nbackbone = "efficientnet_lite0"\n')

    assert main(["train", "--config", str(config), "--run-dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: Download of http://127.0.0.1:{port}/102flowers.tgz failed after 3 attempt(s)")
    assert err.count("\n") == 1 and "--data-dir" in err


def test_an_unknown_strategy_exits_2_before_training(flower_folder, tmp_path, capsys):
    config = _write(tmp_path / "own.toml", f'name = "own"\nbackbone = "vgg16"\n[data]\ndataset = "folder"\ndir = "{flower_folder}"\n')

    assert main(["train", "--config", str(config), "--run-dir", str(tmp_path / "run"), "--strategy", "tpu"]) == 2
    assert "error: Unknown --strategy 'tpu': use default, mirrored or multi_worker_mirrored" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_release_sh_trains_distillation_students_after_their_teachers(tmp_path):
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "a_student.toml").write_text('name = "a_student"\nbackbone = "vgg16"\n\n[distill]\nteachers = ["runs/b"]\n')
    (configs / "b.toml").write_text('name = "b"\nbackbone = "vgg16"\n')

    trained, _ = _release_sh_training_order(tmp_path, configs / "a_student.toml", configs / "b.toml")

    assert trained == [str(configs / "b.toml"), str(configs / "a_student.toml")]
    assert "--runs runs/b runs/a_student" in (tmp_path / "calls.txt").read_text().splitlines()[-1]


def _release_sh_training_order(tmp_path, *configs, check=True, options=()):
    """The configs `scripts/release.sh` trains, in order, with a fake interpreter that logs its calls.

    The fake trains and releases nothing; only `-m training plan` (which orders the configs) runs, on this
    interpreter.
    """
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    calls = tmp_path / "calls.txt"
    fake = tmp_path / "python"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n'
                    f'if [ "$1 $2 $3" = "-m training plan" ]; then exec {sys.executable} "$@"; fi\n')
    fake.chmod(0o755)
    done = subprocess.run(["bash", "scripts/release.sh", "--data-dir", str(tmp_path), *options, *map(str, configs)],
                          cwd=repo, env=os.environ | {"PYTHON": str(fake)}, check=check, capture_output=True, text=True)
    lines = calls.read_text().splitlines() if calls.exists() else []
    return [line.split("--config ")[1].split()[0] for line in lines if line.startswith("-m training train")], done


def _configs(tmp_path, sections: dict[str, str]):
    """tmp_path/configs/<name>.toml for each name: a vgg16 config with `name` and the given sections."""
    configs = tmp_path / "configs"
    configs.mkdir()
    for name, text in sections.items():
        (configs / f"{name}.toml").write_text(f'name = "{name}"\nbackbone = "vgg16"\n' + text)
    return configs


def test_release_sh_trains_a_student_after_the_student_it_starts_from_whatever_the_names(tmp_path):
    configs = _configs(tmp_path, {
        "a_polish": '[distill]\nteachers = ["runs/b"]\ninit_from = "runs/z_student"\n',
        "b": "",
        "z_student": '[distill]  # "runs/a_polish" in a comment\nteachers = [\n  "runs/b",\n]\n',
    })

    trained, _ = _release_sh_training_order(tmp_path, *(configs / n for n in ("a_polish.toml", "b.toml", "z_student.toml")))

    assert trained == [str(configs / "b.toml"), str(configs / "z_student.toml"), str(configs / "a_polish.toml")]


def test_release_sh_makes_a_soup_after_the_runs_it_averages(tmp_path):
    configs = _configs(tmp_path, {"a_soup": '[soup]\nruns = ["runs/c", "runs/b"]\n', "b": "",
                                  "c": '[distill]\nteachers = ["runs/b"]\n'})

    trained, _ = _release_sh_training_order(tmp_path, *(configs / n for n in ("a_soup.toml", "b.toml", "c.toml")))

    assert trained == [str(configs / "b.toml"), str(configs / "c.toml"), str(configs / "a_soup.toml")]


def test_release_sh_refuses_students_that_learn_from_each_other(tmp_path):
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "x.toml").write_text('name = "x"\nbackbone = "vgg16"\n[distill]\nteachers = ["runs/y"]\n')
    (configs / "y.toml").write_text('name = "y"\nbackbone = "vgg16"\n[distill]\nteachers = ["runs/b"]\ninit_from = "runs/x"\n')

    trained, done = _release_sh_training_order(tmp_path, configs / "x.toml", configs / "y.toml", check=False)

    assert done.returncode == 2 and trained == []
    assert f"learn from each other in a circle: {configs / 'x.toml'} {configs / 'y.toml'}" in done.stderr


def test_release_sh_trains_every_shipped_student_after_the_runs_it_learns_from(tmp_path):
    import tomllib
    from pathlib import Path

    shipped = sorted((Path(__file__).resolve().parents[1] / "configs").glob("efficientnet_lite*.toml"))
    trained, _ = _release_sh_training_order(tmp_path, *shipped)

    names = [Path(c).stem for c in trained]
    assert sorted(names) == sorted(p.stem for p in shipped)
    for path in shipped:
        values = tomllib.loads(path.read_text())
        distill, soup = values.get("distill", {}), values.get("soup", {})
        for run in [*distill.get("teachers", []), *([distill["init_from"]] if distill.get("init_from") else []),
                    *soup.get("runs", [])]:
            assert names.index(Path(run).name) < names.index(path.stem), f"{path.stem} trains before {run}"


def test_a_missing_distillation_teacher_exits_2_before_anything_is_trained(flower_folder, tmp_path, capsys):
    config = tmp_path / "student.toml"
    config.write_text(
        'name = "student"\nbackbone = "vgg16"\nimage_size = 32\nweights = "none"\n'
        '[data]\ndataset = "folder"\n'
        f'[distill]\nteachers = ["{tmp_path / "no_such_run"}"]\n'
    )
    run_dir = tmp_path / "run"

    code = main(["train", "--config", str(config), "--data-dir", str(flower_folder), "--run-dir", str(run_dir)])

    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err == (f"error: [distill] teacher '{tmp_path / 'no_such_run'}' is not a finished run (need model.keras "
                   "and config.toml in its run directory): train it first or fix the path")
    assert not run_dir.exists()


def test_release_sh_passes_the_real_world_photos_to_the_release_unless_told_not_to(tmp_path):
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "b.toml").write_text('name = "b"\nbackbone = "vgg16"\n')
    photos = tmp_path / "my photos"

    _release_sh_training_order(tmp_path, configs / "b.toml", options=("--photos", str(photos)))
    release = (tmp_path / "calls.txt").read_text().splitlines()[-1]
    assert release.startswith("-m training release --runs runs/b") and f"--photos {photos} --rebuild-command" in release

    (tmp_path / "calls.txt").unlink()
    _release_sh_training_order(tmp_path, configs / "b.toml", options=("--no-photos",))
    assert "--photos" not in (tmp_path / "calls.txt").read_text().splitlines()[-1].split("--rebuild-command")[0]


def test_release_sh_by_default_trains_the_official_runs_and_their_train_plus_val_twins_and_releases_all(tmp_path):
    import tomllib
    from pathlib import Path

    trained, _ = _release_sh_training_order(tmp_path, options=("--photos", str(tmp_path / "photos")))

    configs = Path(__file__).resolve().parents[1] / "configs"
    names = ["realworld", "realworld_trainval", "realworld30", "realworld30_trainval", "realworld_soup", "realworld_soup_trainval"]
    assert trained == [str(Path("training/configs") / f"efficientnet_lite0_{n}.toml") for n in names]
    for official_name in ("realworld", "realworld30", "realworld_soup"):
        official, shipped = (tomllib.loads((configs / f"efficientnet_lite0_{n}.toml").read_text())
                             for n in (official_name, f"{official_name}_trainval"))
        assert official["data"].get("train_on", "train") == "train" and shipped["data"]["train_on"] == "train+val"

        # The same recipe: only the name, the data and the runs used (each protocol's own) differ.
        def recipe(values):
            values = {k: v for k, v in values.items() if k not in ("name", "data")}
            values.get("phase1", {}).pop("from_run", None)
            values.get("soup", {}).pop("runs", None)
            return values

        assert recipe(official) == recipe(shipped)
        used = [*official.get("soup", {}).get("runs", []), official.get("phase1", {}).get("from_run")]
        used_tv = [*shipped.get("soup", {}).get("runs", []), shipped.get("phase1", {}).get("from_run")]
        assert [r and r + "_trainval" for r in used] == used_tv  # the train+val twins of the official runs
    calls = [line for line in (tmp_path / "calls.txt").read_text().splitlines() if not line.startswith("-m training plan")]
    assert all(f"--photos {tmp_path / 'photos'}" in line for line in calls)
    assert "--runs " + " ".join(f"runs/efficientnet_lite0_{n}" for n in names) in calls[-1]


def test_release_sh_orders_the_configs_with_python_and_stops_on_a_broken_one_before_training(tmp_path):
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "b.toml").write_text('name = "b"\nbackbone = "vgg16"\n')
    (configs / "bad.toml").write_text('name = "bad"\nbackbone = "vgg16"\n[distill]\nteacher = ["runs/b"]\n')

    trained, done = _release_sh_training_order(tmp_path, configs / "b.toml", configs / "bad.toml", check=False)

    assert done.returncode == 2 and trained == []
    assert "error: Unknown key(s) ['teacher'] in [distill]" in done.stderr
    assert (tmp_path / "calls.txt").read_text().splitlines() == [f"-m training plan {configs / 'b.toml'} {configs / 'bad.toml'}"]


def test_plan_prints_students_after_the_runs_they_name_even_through_their_model_keras(tmp_path, capsys):
    (tmp_path / "a.toml").write_text('name = "a"\nbackbone = "vgg16"\n[distill]\nteachers = ["runs/z/model.keras"]\n')
    (tmp_path / "z.toml").write_text('name = "z"\nbackbone = "vgg16"\n[distill]\ninit_from = "runs/c"\n')
    (tmp_path / "c.toml").write_text('name = "c"\nbackbone = "vgg16"\n')

    assert main(["plan", str(tmp_path / "a.toml"), str(tmp_path / "z.toml"), str(tmp_path / "c.toml")]) == 0

    assert capsys.readouterr().out.split() == [str(tmp_path / n) for n in ("c.toml", "z.toml", "a.toml")]
