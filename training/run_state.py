"""A run directory's progress record: state.json (which phases are done, their scores) and the history CSVs."""

from __future__ import annotations

import json
import os
from pathlib import Path


def _state(run_dir: Path) -> dict:
    path = run_dir / "state.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _save_state(run_dir: Path, **updates) -> None:
    state = _state(run_dir) | updates
    tmp = run_dir / "state.json.tmp"
    tmp.write_text(json.dumps(state, indent=2))
    os.replace(tmp, run_dir / "state.json")


def _read_history(path: Path) -> dict[str, list[float]]:
    import csv

    if not path.exists():
        return {}

    def numbers(row):
        try:  # Keras' CSVLogger writes "NA" in val_ columns when there is no val (train+val runs)
            return {k: float(v) for k, v in row.items() if v != "NA"}
        except (TypeError, ValueError):  # a row cut short when the machine went down mid-write
            return None

    rows = [r for r in map(numbers, csv.DictReader(path.open())) if r is not None]
    return {k: [r[k] for r in rows] for k in rows[0] if all(k in r for r in rows)} if rows else {}
