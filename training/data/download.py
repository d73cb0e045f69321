"""Download the Oxford 102 files into a cache: resumable, MD5-verified, safely extracted (no TensorFlow).

    cache/102flowers.tgz, imagelabels.mat, setid.mat    the official files, MD5-checked
    cache/jpg/image_00001.jpg ...                        extracted from 102flowers.tgz
    cache/.complete.json                                 written last: a second call does nothing

An interrupted transfer leaves `<name>.part`; the next attempt asks the server for the rest (HTTP
Range).  A file whose MD5 differs is moved aside to `<name>.corrupt`, so a retry starts clean.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import tarfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Sequence

from flowerlite import contract

from training.errors import DatasetError

__all__ = ["OXFORD102_URL", "OXFORD102_FILES", "RemoteFile", "default_cache_dir", "download_file", "ensure_oxford102"]

OXFORD102_URL = "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/"
_CHUNK = 1 << 20
_TIMEOUT = 60.0


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset: its name in the cache, where to fetch it, and its MD5."""

    name: str
    url: str
    md5: str


def _official_files(base_url: str) -> tuple[RemoteFile, ...]:
    base = base_url if base_url.endswith("/") else base_url + "/"
    return (
        RemoteFile("102flowers.tgz", base + "102flowers.tgz", "52808999861908f626f3c1f4e79d11fa"),
        RemoteFile("imagelabels.mat", base + "imagelabels.mat", "e0620be6f572b9609742df49c70aed4d"),
        RemoteFile("setid.mat", base + "setid.mat", "a5357ecc9cb78c4bef273ce3793fc85c"),
    )


OXFORD102_FILES = _official_files(OXFORD102_URL)


def default_cache_dir() -> Path:
    """The dataset cache: the `oxford102` folder of `flowerlite.contract.cache_dir()`.

    Raises:
        DatasetError: there is no home directory to cache the dataset in and FLOWERLITE_CACHE is unset.
    """
    root = contract.cache_dir()
    if root is None:
        raise DatasetError("No home directory for the dataset cache (HOME is unset): "
                           "set FLOWERLITE_CACHE or pass --data-dir")
    return root / "oxford102"


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(url: str, part: Path, desc: str) -> None:
    """Append the rest of `url` to `part` (Range request if `part` has bytes); raise OSError if cut short."""
    from tqdm import tqdm

    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "flowerlite"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=_TIMEOUT)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # nothing left to send: the .part file is already whole
            return
        raise
    with response:
        if offset and response.status != 206:
            offset = 0  # the server ignored Range and sends the whole file: start over
        length = response.headers.get("Content-Length")
        expected = int(length) if length is not None else None
        received = 0
        with part.open("ab" if offset else "wb") as out, tqdm(
            total=None if expected is None else offset + expected, initial=offset,
            unit="B", unit_scale=True, unit_divisor=1024, desc=desc, leave=False,
        ) as bar:
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    if expected is not None and received < expected:
        raise http.client.IncompleteRead(b"", expected - received)


def download_file(url: str, dest: str | Path, md5: str, *, attempts: int = 3) -> Path:
    """Download `url` to `dest` (resuming a `.part` file) and verify its MD5; return `dest`.

    Raises:
        DatasetError: if the server cannot be reached or the transfer keeps failing (the partial
            file is kept, so running again resumes), or if the MD5 differs (the bad file is moved
            to `<dest>.corrupt`, so running again downloads it afresh).
    """
    dest = Path(dest)
    corrupt = dest.with_name(dest.name + ".corrupt")
    if dest.exists():
        if _md5(dest) == md5:
            return dest
        os.replace(dest, corrupt)  # e.g. a file copied in by hand: keep it aside, fetch a good one
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    error: Exception | None = None
    for _ in range(max(1, attempts)):
        try:
            _fetch(url, part, dest.name)
            error = None
            break
        except urllib.error.HTTPError as exc:
            if exc.code >= 500:  # the server's trouble: worth another attempt
                error = exc
                continue
            # 404, 403...: retrying will not help
            raise DatasetError(f"Cannot download {url}: HTTP {exc.code} {exc.reason}. Check the URL, or pass --data-dir with a local copy") from None
        except (OSError, http.client.HTTPException) as exc:  # dropped connection, timeout, DNS
            error = exc
    if error is not None:
        have = part.stat().st_size if part.exists() else 0
        reason = getattr(error, "reason", None) or error
        raise DatasetError(
            f"Download of {url} failed after {attempts} attempt(s) with {have} bytes received ({type(error).__name__}: {reason}); "
            f"run again to resume from {part}, or pass --data-dir with a local copy"
        ) from None
    actual = _md5(part)
    if actual != md5:
        os.replace(part, corrupt)
        raise DatasetError(
            f"MD5 mismatch for {url}: got {actual}, expected {md5}. The file was moved to {corrupt}; "
            f"run again to download it afresh"
        )
    os.replace(part, dest)
    return dest


def _safe_members(archive: tarfile.TarFile, archive_path: Path) -> list[tarfile.TarInfo]:
    """Regular files and folders with relative, non-escaping names; anything else is an error."""
    members = []
    for member in archive.getmembers():
        name = PurePosixPath(member.name)
        if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
            raise DatasetError(f"{archive_path} holds an unsafe entry {member.name!r}: delete the archive and download it again")
        members.append(member)
    return members


def _extract(archive_path: Path, cache_dir: Path) -> None:
    """Extract the archive's jpg/ folder into `cache_dir` (via a temporary folder, then one rename)."""
    tmp = cache_dir / ".extracting"
    shutil.rmtree(tmp, ignore_errors=True)
    from tqdm import tqdm

    try:
        with tarfile.open(archive_path, "r:*") as archive:
            members = _safe_members(archive, archive_path)
            for member in tqdm(members, desc=f"extracting {archive_path.name}", unit="file", leave=False):
                archive.extract(member, tmp, filter="data")
    except (tarfile.TarError, EOFError, OSError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DatasetError(f"Cannot extract {archive_path} ({exc}): delete it and run again") from None
    if not (tmp / "jpg").is_dir():
        shutil.rmtree(tmp, ignore_errors=True)
        raise DatasetError(f"{archive_path} has no jpg/ folder: is it the official 102flowers.tgz?")
    shutil.rmtree(cache_dir / "jpg", ignore_errors=True)
    os.replace(tmp / "jpg", cache_dir / "jpg")
    shutil.rmtree(tmp, ignore_errors=True)


def ensure_oxford102(
    cache_dir: str | Path | None = None,
    *,
    base_url: str | None = None,
    files: Sequence[RemoteFile] | None = None,
    attempts: int = 3,
) -> Path:
    """Download, verify and extract Oxford 102 into `cache_dir` unless already there; return the folder.

    `base_url` (or $FLOWERLITE_OXFORD102_URL) replaces the official server, e.g. with a mirror;
    `files` replaces the whole file list (name, URL, MD5), e.g. for tests.

    Raises:
        DatasetError: if a download fails, a checksum differs, or the archive is not usable.
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if files is None:
        files = _official_files(base_url or os.environ.get("FLOWERLITE_OXFORD102_URL") or OXFORD102_URL)
    marker = cache_dir / ".complete.json"
    wanted = {f.name: f.md5 for f in files}
    if marker.exists() and (cache_dir / "jpg").is_dir():
        try:
            if json.loads(marker.read_text()) == wanted:
                return cache_dir
        except ValueError:
            pass  # an unreadable marker: verify and rewrite it below
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetError(f"Cannot create the dataset cache {cache_dir} ({exc}): set FLOWERLITE_CACHE or pass --data-dir") from None
    for remote in files:
        path = download_file(remote.url, cache_dir / remote.name, remote.md5, attempts=attempts)
        if remote.name.endswith((".tgz", ".tar.gz", ".tar")):
            _extract(path, cache_dir)
    marker.write_text(json.dumps(wanted, indent=2))
    return cache_dir
