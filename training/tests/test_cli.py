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
    import os
    import subprocess
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    calls = tmp_path / "calls.txt"
    fake = tmp_path / "python"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    fake.chmod(0o755)
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "a_student.toml").write_text('name = "a_student"\n\n[distill]\nteachers = ["runs/b"]\n')
    (configs / "b.toml").write_text('name = "b"\n')
    subprocess.run(["bash", "scripts/release.sh", "--data-dir", str(tmp_path), str(configs / "a_student.toml"), str(configs / "b.toml")],
                   cwd=repo, env=os.environ | {"PYTHON": str(fake)}, check=True, capture_output=True)
    lines = calls.read_text().splitlines()
    trained = [line.split("--config ")[1].split()[0] for line in lines if line.startswith("-m training train")]
    assert trained == [str(configs / "b.toml"), str(configs / "a_student.toml")]
    assert "--runs runs/b runs/a_student" in lines[-1]


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
