"""training.benchmark_json: the one owner of benchmark.json, read back byte for byte, importable by any interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from training.benchmark_json import FILE_NAME, SCHEMA_VERSION, BenchmarkReport, read_json, to_json_text
from training.errors import BenchmarkFileError

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "benchmarks" / "results" / FILE_NAME


def test_the_committed_benchmark_json_reads_into_the_schema_and_writes_back_byte_for_byte():
    report = read_json(COMMITTED)
    assert isinstance(report, BenchmarkReport) and report.schema_version == SCHEMA_VERSION
    assert report.jobs and report.accuracy and report.models
    assert to_json_text(report) == COMMITTED.read_text()


def test_a_file_of_another_schema_is_refused_with_its_path(tmp_path):
    data = json.loads(COMMITTED.read_text())
    data["schema_version"] = SCHEMA_VERSION + 1
    path = tmp_path / FILE_NAME
    path.write_text(json.dumps(data))
    with pytest.raises(BenchmarkFileError, match=rf"{FILE_NAME} has schema_version {SCHEMA_VERSION + 1}; this harness reads version"):
        read_json(path)
    with pytest.raises(BenchmarkFileError, match=r"Benchmark result not found: .*missing\.json"):
        read_json(tmp_path / "missing.json")


def test_the_schema_and_the_harness_machine_probe_import_only_the_standard_library():
    # `python -m benchmarks.machine` runs in every interpreter the harness measures, numpy or not.
    code = ("import sys, training.benchmark_json, benchmarks.machine; "
            "print(sorted(m for m in ('numpy', 'flowerlite', 'PIL', 'training.realworld') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert done.stdout.strip() == "[]"
