"""The Oxford 102 download, against a local HTTP server serving a tiny archive in the official format."""

from __future__ import annotations

import hashlib
import io
import json
import re
import socket
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from scipy.io import loadmat, savemat

from training.data.download import OXFORD102_FILES, RemoteFile, default_cache_dir, ensure_oxford102
from training.data.oxford102 import load_split
from training.errors import DatasetError
from training.tests.support import require_shared, write_image

LABELS = np.array([1, 1, 2, 2, 3, 3], dtype=np.uint8)
SETID = {"trnid": np.array([1, 3, 5]), "valid": np.array([2, 4]), "tstid": np.array([6])}


class FileServer:
    """A bounded local HTTP server with Range support, scripted connection drops and a request log."""

    def __init__(self, files: dict[str, bytes]):
        self.files = dict(files)
        self.requests: list[tuple[str, str | None]] = []  # (name, Range header)
        self.drops: dict[str, list[int]] = {}  # name -> bytes sent before dropping, one entry per request
        self.honour_range = True
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                name = self.path.lstrip("/")
                server.requests.append((name, self.headers.get("Range")))
                if name not in server.files:
                    self.send_error(404)
                    return
                data, start = server.files[name], 0
                match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
                if match and server.honour_range:
                    start = int(match.group(1))
                    if start >= len(data):
                        self.send_error(416)
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                drops = server.drops.get(name)
                if drops:
                    # Send part of the body, then hang up mid-file as a flaky network would.
                    self.wfile.write(data[start : start + drops.pop(0)])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(data[start:])

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.timeout = 5
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def remote_files(self, md5s: dict[str, str] | None = None) -> list[RemoteFile]:
        """RemoteFiles for what the server holds (MD5 of the served bytes unless overridden)."""
        md5s = md5s or {}
        return [RemoteFile(n, self.url + n, md5s.get(n, hashlib.md5(d).hexdigest())) for n, d in self.files.items()]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def _mat_bytes(values: dict) -> bytes:
    buffer = io.BytesIO()
    savemat(buffer, values)
    return buffer.getvalue()


def _tiny_archive(tmp_path: Path) -> bytes:
    """102flowers.tgz in the official layout (jpg/image_0000N.jpg), with 6 tiny generated JPEGs."""
    images = tmp_path / "archive_src"
    for i in range(1, len(LABELS) + 1):
        write_image(images / "jpg" / f"image_{i:05d}.jpg", 24, 16 + i, seed=i)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(images / "jpg", arcname="jpg")
    return buffer.getvalue()


@pytest.fixture
def server(tmp_path):
    files = {
        "102flowers.tgz": _tiny_archive(tmp_path),
        "imagelabels.mat": _mat_bytes({"labels": LABELS[None, :]}),
        "setid.mat": _mat_bytes({k: v[None, :] for k, v in SETID.items()}),
    }
    srv = FileServer(files)
    yield srv
    srv.close()


def test_download_verifies_and_extracts_into_the_official_layout(server, tmp_path):
    root = ensure_oxford102(tmp_path / "oxford102", files=server.remote_files())

    assert root == tmp_path / "oxford102"
    assert sorted(p.name for p in (root / "jpg").iterdir()) == [f"image_{i:05d}.jpg" for i in range(1, 7)]
    assert loadmat(root / "imagelabels.mat")["labels"].ravel().tolist() == LABELS.tolist()
    setid = loadmat(root / "setid.mat")
    assert {k: setid[k].ravel().tolist() for k in SETID} == {k: v.tolist() for k, v in SETID.items()}
    assert json.loads((root / ".complete.json").read_text()) == {f.name: f.md5 for f in server.remote_files()}
    assert not list(root.glob("*.part")) and not (root / ".extracting").exists()


def test_the_official_split_checks_still_refuse_the_tiny_archive(server, tmp_path):
    root = ensure_oxford102(tmp_path / "oxford102", files=server.remote_files())

    with pytest.raises(DatasetError, match=r"holds 6 labels .* expected 8189"):
        load_split(root)


def test_a_second_call_does_nothing(server, tmp_path):
    ensure_oxford102(tmp_path / "c", files=server.remote_files())
    before = len(server.requests)
    mtime = (tmp_path / "c" / "jpg" / "image_00001.jpg").stat().st_mtime_ns

    ensure_oxford102(tmp_path / "c", files=server.remote_files())

    assert len(server.requests) == before == 3
    assert (tmp_path / "c" / "jpg" / "image_00001.jpg").stat().st_mtime_ns == mtime


def test_an_interrupted_transfer_resumes_with_a_range_request_on_the_next_call(server, tmp_path):
    archive = server.files["102flowers.tgz"]
    server.drops["102flowers.tgz"] = [1000]
    cache = tmp_path / "c"

    with pytest.raises(DatasetError, match=r"failed after 1 attempt\(s\) with 1000 bytes received.*run again to resume"):
        ensure_oxford102(cache, files=server.remote_files(), attempts=1)
    assert (cache / "102flowers.tgz.part").stat().st_size == 1000
    assert not (cache / "102flowers.tgz").exists()

    ensure_oxford102(cache, files=server.remote_files(), attempts=1)

    assert [r for r in server.requests if r[0] == "102flowers.tgz"] == [("102flowers.tgz", None), ("102flowers.tgz", "bytes=1000-")]
    assert (cache / "102flowers.tgz").read_bytes() == archive
    assert len(list((cache / "jpg").iterdir())) == 6


def test_a_dropped_connection_is_resumed_within_one_call(server, tmp_path):
    server.drops["imagelabels.mat"] = [100, 50]

    ensure_oxford102(tmp_path / "c", files=server.remote_files(), attempts=3)

    ranges = [r[1] for r in server.requests if r[0] == "imagelabels.mat"]
    assert ranges == [None, "bytes=100-", "bytes=150-"]
    assert (tmp_path / "c" / "imagelabels.mat").read_bytes() == server.files["imagelabels.mat"]


def test_a_server_ignoring_range_restarts_the_file_from_the_beginning(server, tmp_path):
    server.drops["setid.mat"] = [64]
    server.honour_range = False

    ensure_oxford102(tmp_path / "c", files=server.remote_files(), attempts=2)

    assert (tmp_path / "c" / "setid.mat").read_bytes() == server.files["setid.mat"]


def test_a_corrupted_file_fails_its_md5_and_the_retry_starts_clean(server, tmp_path):
    good = server.files["setid.mat"]
    expected = hashlib.md5(good).hexdigest()
    server.files["setid.mat"] = good[:-8] + b"corrupt!"
    files = server.remote_files({"setid.mat": expected})
    cache = tmp_path / "c"

    with pytest.raises(DatasetError) as excinfo:
        ensure_oxford102(cache, files=files)
    message = str(excinfo.value)
    assert f"MD5 mismatch for {server.url}setid.mat" in message
    assert f"expected {expected}" in message and "run again" in message
    assert (cache / "setid.mat.corrupt").exists()
    assert not (cache / "setid.mat").exists() and not (cache / "setid.mat.part").exists()
    assert not (cache / ".complete.json").exists()

    server.files["setid.mat"] = good
    ensure_oxford102(cache, files=files)

    assert server.requests[-1] == ("setid.mat", None)  # downloaded afresh, not resumed
    assert (cache / "setid.mat").read_bytes() == good


def test_a_missing_remote_file_names_the_url_and_the_http_status(server, tmp_path):
    files = server.remote_files() + [RemoteFile("extra.mat", server.url + "extra.mat", "0" * 32)]

    with pytest.raises(DatasetError, match=rf"Cannot download {re.escape(server.url)}extra.mat: HTTP 404.*--data-dir"):
        ensure_oxford102(tmp_path / "c", files=files)


def test_an_unreachable_server_gives_a_clear_error(tmp_path):
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    with pytest.raises(DatasetError, match=rf"Download of http://127.0.0.1:{port}/102flowers.tgz failed after 2 attempt"):
        ensure_oxford102(tmp_path / "c", base_url=f"http://127.0.0.1:{port}", attempts=2)


def test_the_mirror_url_comes_from_the_environment(server, tmp_path, monkeypatch):
    monkeypatch.setenv("FLOWERLITE_OXFORD102_URL", server.url + "mirror/")

    with pytest.raises(DatasetError, match=rf"Cannot download {re.escape(server.url)}mirror/102flowers.tgz: HTTP 404"):
        ensure_oxford102(tmp_path / "c")


def test_an_archive_escaping_its_folder_is_refused(server, tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("jpg/../../evil.txt")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"evil"))
    server.files["102flowers.tgz"] = buffer.getvalue()

    with pytest.raises(DatasetError, match=r"unsafe entry 'jpg/../../evil.txt'"):
        ensure_oxford102(tmp_path / "a" / "c", files=server.remote_files())
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "a" / "evil.txt").exists()


def test_the_default_cache_follows_flowerlite_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("FLOWERLITE_CACHE", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x" / "oxford102"
    monkeypatch.delenv("FLOWERLITE_CACHE")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert default_cache_dir() == Path.home() / ".cache" / "flowerlite" / "oxford102"


def test_the_dataset_and_weights_caches_are_folders_of_the_contracts_cache_xdg_included(monkeypatch, tmp_path):
    from flowerlite.contract import cache_dir

    from training.backbones.registry import weights_cache_dir

    monkeypatch.delenv("FLOWERLITE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == cache_dir() / "oxford102" == tmp_path / "xdg" / "flowerlite" / "oxford102"
    assert weights_cache_dir() == cache_dir() / "weights" == tmp_path / "xdg" / "flowerlite" / "weights"


def test_without_a_home_the_caches_ask_for_flowerlite_cache(monkeypatch):
    import os

    from training.backbones.registry import weights_cache_dir
    from training.errors import WeightsError

    monkeypatch.delenv("FLOWERLITE_CACHE")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)  # HOME unset and no passwd entry
    with pytest.raises(DatasetError, match=r"No home directory for the dataset cache .*set FLOWERLITE_CACHE or pass --data-dir"):
        default_cache_dir()
    with pytest.raises(WeightsError, match=r"No home directory to cache ImageNet weights in .*set FLOWERLITE_CACHE"):
        weights_cache_dir()


@pytest.mark.shared_data
def test_the_official_urls_and_md5s_match_the_shared_readme():
    readme = (require_shared("oxford102") / "README.md").read_text()
    listed = dict(re.findall(r"(https://\S+)\s+([0-9a-f]{32})", readme))
    assert listed == {f.url: f.md5 for f in OXFORD102_FILES}


def test_an_unwritable_cache_is_a_clear_error(server, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should go")

    with pytest.raises(DatasetError, match=rf"Cannot create the dataset cache {blocker / 'oxford102'} .*set FLOWERLITE_CACHE"):
        ensure_oxford102(blocker / "oxford102", files=server.remote_files())
