"""flowerlite classify on many images: folders, stdin, CSV / JSON Lines, bad files, progress, closed pipes, unsure answers."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import pathlib
import pty
import subprocess
import sys

import pytest
from PIL import Image

from conftest import LABELS, fixture_path, quadrant_array
from flowerlite import Category, Classifier, ModelInfo
from flowerlite.cli import format_text, main

MODEL = fixture_path("quadrants_int8_metadata")
SDK = str(pathlib.Path(__file__).resolve().parents[1])


def save(path: pathlib.Path, quadrant: int) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(quadrant_array(quadrant)).save(path)
    return str(path)


@pytest.fixture
def album(tmp_path) -> tuple[pathlib.Path, list[str]]:
    """A folder with nested subfolders, a corrupt JPEG, a text file, a hidden file and an upper-case extension.

    Returns the folder and the image paths a walk must find, in order (a folder's files, then its
    subfolders; the corrupt one included).
    """
    root = tmp_path / "album"
    expected = [
        save(root / "a.png", 0),
        str(root / "b_corrupt.jpg"),
        save(root / "z.webp", 3),
        save(root / "sub" / "c.jpg", 1),
        save(root / "sub" / "deeper" / "d.PNG", 2),
    ]
    (root / "b_corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG")
    (root / "notes.txt").write_text("not an image")
    save(root / ".hidden.png", 0)
    save(root / ".thumbnails" / "t.png", 0)
    return root, expected


def run(argv, capsys, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_folder_is_walked_recursively_and_a_corrupt_file_does_not_stop_the_others(album, capsys):
    root, expected = album
    code, out, err = run(["classify", str(root), "--model", MODEL, "-k", "1", "-f", "jsonl"], capsys)
    assert code == 1
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["image"] for r in records] == [p for p in expected if "corrupt" not in p]
    assert [r["categories"][0]["label"] for r in records] == [LABELS[0], LABELS[3], LABELS[1], LABELS[2]]
    assert err.count("\n") == 1 and err.startswith("flowerlite: error: ") and "b_corrupt.jpg" in err


def test_every_bad_file_gets_one_line_and_the_exit_status_is_1_at_the_end(tmp_path, capsys):
    good = save(tmp_path / "good.png", 1)
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "folder.png").mkdir()  # named like an image, but an empty folder
    os.symlink(tmp_path / "gone.jpg", tmp_path / "dangling.jpg")  # listed, but cannot be opened
    argv = [str(tmp_path / "empty.jpg"), str(tmp_path / "missing.png"), good, str(tmp_path / "dangling.jpg"),
            str(tmp_path / "folder.png")]
    code, out, err = run(["classify", *argv, "--model", MODEL, "-k", "1"], capsys)
    assert code == 1
    assert out.splitlines()[0] == good and out.splitlines()[1].strip().endswith("top right [1]")
    lines = err.splitlines()
    assert len(lines) == 4 and all(line.startswith("flowerlite: error: ") for line in lines)
    assert "no images in folder" in lines[0] and "folder.png" in lines[0]
    assert "empty.jpg" in lines[1] and "missing.png" in lines[2] and "dangling.jpg" in lines[3]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="running as root, which reads files whatever their mode; the dangling-symlink "
                           "test covers an entry that cannot be opened")
def test_unreadable_files_and_folders_are_reported_and_skipped(tmp_path, capsys):
    good = save(tmp_path / "a.png", 2)
    locked = save(tmp_path / "b.png", 0)
    save(tmp_path / "private" / "c.png", 0)
    os.chmod(locked, 0)
    os.chmod(tmp_path / "private", 0)
    try:
        code, out, err = run(["classify", str(tmp_path), "--model", MODEL, "-k", "1", "-f", "csv"], capsys)
    finally:
        os.chmod(tmp_path / "private", 0o755)
        os.chmod(locked, 0o644)
    assert code == 1
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["image"] for r in rows] == [good] and rows[0]["label"] == LABELS[2]
    assert err.count("\n") == 2 and "private" in err and "b.png" in err and "Permission denied" in err


def test_paths_are_read_from_stdin_with_dash(album, capsys, monkeypatch, tmp_path):
    root, expected = album
    extra = save(tmp_path / "extra.png", 3)
    stdin = f"{extra}\n\n{root / 'sub'}\n{expected[0]}\r\n"
    code, out, err = run(["classify", "-", "--model", MODEL, "-k", "1", "-f", "jsonl"], capsys, stdin, monkeypatch)
    assert code == 0 and err == ""
    images = [json.loads(line)["image"] for line in out.splitlines()]
    assert images == [extra, str(root / "sub" / "c.jpg"), str(root / "sub" / "deeper" / "d.PNG"), expected[0]]


def test_csv_has_a_header_and_one_row_per_image_and_category(album, capsys):
    root, _ = album
    code, out, _ = run(["classify", str(root / "sub"), "--model", MODEL, "-k", "2", "--format", "csv"], capsys)
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["image", "rank", "index", "label", "score", "confident"]
    assert [(r[0][-5:], r[1]) for r in rows[1:]] == [("c.jpg", "1"), ("c.jpg", "2"), ("d.PNG", "1"), ("d.PNG", "2")]
    assert rows[1][2:4] == ["1", "top right"] and 0 < float(rows[1][4]) <= 1 and rows[1][5] == ""


def test_extensions_choose_what_a_folder_walk_picks_up(album, capsys):
    root, _ = album
    code, out, _ = run(["classify", str(root), "--model", MODEL, "-f", "jsonl", "--extensions", "webp,.PNG"], capsys)
    assert code == 0
    assert [pathlib.Path(json.loads(line)["image"]).name for line in out.splitlines()] == ["a.png", "z.webp", "d.PNG"]


def test_the_json_document_still_comes_at_the_end_and_json_conflicts_with_format(album, capsys):
    root, _ = album
    code, out, err = run(["classify", str(root / "sub"), "--model", MODEL, "--json"], capsys)
    assert code == 0 and err == ""
    assert [pathlib.Path(r["image"]).name for r in json.loads(out)["results"]] == ["c.jpg", "d.PNG"]
    with pytest.raises(SystemExit) as exit_info:
        main(["classify", str(root), "--json", "--format", "csv"])
    assert exit_info.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def cli(*args: str, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=SDK)
    return subprocess.Popen([sys.executable, "-m", "flowerlite", "classify", *args], env=env, **kwargs)


@pytest.fixture(scope="module")
def many_images(tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("many")
    # Enough output (about 150 KB of text) to overfill a 64 KB pipe buffer: the writer must meet the closed pipe.
    return [save(folder / f"{i:04d}.png", i % 4) for i in range(2000)]


def test_a_reader_that_stops_early_ends_the_run_quietly(many_images):
    # `flowerlite classify <many images> | head -1`: no BrokenPipeError traceback, the status of SIGPIPE.
    process = cli(*many_images, "--model", MODEL, "--top-k", "4", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = process.stdout.readline()
    process.stdout.close()
    _, err = process.communicate(timeout=120)
    assert first.decode().strip() == many_images[0]
    assert err == b"" and process.returncode == 141


def test_the_progress_bar_shows_on_a_terminal_only(many_images):
    images = many_images[:40]
    piped = cli(*images, "--model", MODEL, "-f", "csv", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = piped.communicate(timeout=120)
    assert piped.returncode == 0 and err == b"" and out.count(b"\n") > 40
    leader, follower = pty.openpty()
    on_terminal = cli(*images, "--model", MODEL, "-f", "csv", stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    out_tty, _ = on_terminal.communicate(timeout=120)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert on_terminal.returncode == 0 and out_tty == out
    assert b"40/40 100%" in shown and b"img/s" in shown and shown.endswith(b"\r\x1b[K")


@pytest.fixture
def confident_level(monkeypatch):
    """Gives the classifier's model info a "confident" score level, as models that carry one will (issue 15)."""
    def set_level(level: float | None) -> None:
        def info(self):
            return dataclasses.replace(self._info, confident_score=level)

        monkeypatch.setattr(Classifier, "info", property(info))

    return set_level


def test_answers_below_the_confident_level_are_shown_as_unsure(confident_level, tmp_path, capsys):
    image = save(tmp_path / "q.png", 2)
    confident_level(1.01)  # nothing reaches it
    code, out, _ = run(["classify", image, "--model", MODEL, "-k", "2"], capsys)
    lines = out.splitlines()
    assert code == 0 and lines[0] == image
    score = float(lines[2].split()[0])
    assert lines[1] == f"  not sure: best guess bottom left ({score:.0%})"
    code, out, _ = run(["classify", image, "--model", MODEL, "-f", "jsonl"], capsys)
    assert json.loads(out)["confident"] is False
    confident_level(0.0)  # every answer reaches it
    code, out, _ = run(["classify", image, "--model", MODEL, "-k", "2"], capsys)
    assert "not sure" not in out and len(out.splitlines()) == 3
    code, out, _ = run(["classify", image, "--model", MODEL, "--json"], capsys)
    assert json.loads(out)["results"][0]["confident"] is True
    code, out, _ = run(["classify", image, "--model", MODEL, "-f", "csv"], capsys)
    assert {row["confident"] for row in csv.DictReader(io.StringIO(out))} == {"true"}


def test_models_without_a_confident_level_are_not_marked(confident_level, tmp_path, capsys):
    image = save(tmp_path / "q.png", 0)
    for patched in (False, True):  # the fixture model's own info, then an explicit None
        if patched:
            confident_level(None)
        code, out, _ = run(["classify", image, "--model", MODEL, "-f", "jsonl"], capsys)
        assert code == 0 and "confident" not in json.loads(out)
        code, out, _ = run(["classify", image, "--model", MODEL, "-f", "csv"], capsys)
        assert {row["confident"] for row in csv.DictReader(io.StringIO(out))} == {""}
        code, out, _ = run(["classify", image, "--model", MODEL], capsys)
        assert "not sure" not in out


def test_text_formatting_of_one_image():
    best = [Category(3, 0.41, "rose"), Category(1, 0.2, "tulip")]
    assert format_text("a.jpg", best, 0.9) == "a.jpg\n  not sure: best guess rose (41%)\n   0.4100  rose [3]\n   0.2000  tulip [1]"
    assert format_text("a.jpg", best, 0.4) == format_text("a.jpg", best, None) == "a.jpg\n   0.4100  rose [3]\n   0.2000  tulip [1]"
    assert format_text("b.jpg", [], 0.5) == "b.jpg\n  not sure: no answer"
