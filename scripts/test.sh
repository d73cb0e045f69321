#!/usr/bin/env bash
# The project's test command (README "Tests"; CI runs it through .ci/run). From any directory:
#
#   bash scripts/test.sh [PYTEST ARGS...]
#
# 1. .venv (Python 3.11): pip install -e ".[dev]", then pytest over the repository
#    (testpaths in pyproject.toml: sdk/tests, training, benchmarks, android_demo).
# 2. .venv-tflite (Python 3.11, tflite-runtime==2.14.0, numpy<2, no ai-edge-litert): the SDK
#    tests again with FLOWERLITE_RUNTIME=tflite-runtime.
# 3. .venv-fresh: a plain `pip install .` must pull no TensorFlow and no torch, and the
#    installed `flowerlite classify` must work on a fixture model.
# Venvs are created once and updated on later runs. pytest's "no tests collected" (exit 5)
# does not fail the run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_PROGRESS_BAR=off

venv() {  # venv DIR: create DIR with $PYTHON unless it exists
    [[ -x "$1/bin/python" ]] || "$PYTHON" -m venv "$1"
}

pytest_in() {  # pytest_in PYTHON ARGS...: run pytest, treating "no tests collected" as success
    local python=$1 status=0
    shift
    "$python" -m pytest "$@" || status=$?
    if [[ $status -ne 0 && $status -ne 5 ]]; then
        exit "$status"
    fi
}

# Android core tests need a JDK and JUnit from Debian (the script does nothing when present).
if [[ -f android_demo/core/install_deps.sh ]]; then
    bash android_demo/core/install_deps.sh
fi

echo "== .venv: pip install -e .[dev]"
venv .venv
.venv/bin/python -m pip install -q -e ".[dev]"
echo "== pytest (repository)"
pytest_in .venv/bin/python "$@"

echo "== .venv-tflite: SDK tests on tflite-runtime 2.14 with numpy<2"
venv .venv-tflite
.venv-tflite/bin/python -m pip install -q "tflite-runtime==2.14.0" "numpy<2" Pillow flatbuffers pytest
.venv-tflite/bin/python -m pip install -q --no-deps -e .
FLOWERLITE_RUNTIME=tflite-runtime pytest_in .venv-tflite/bin/python sdk/tests -p no:cacheprovider "$@"

echo "== .venv-fresh: pip install . pulls no TensorFlow or torch; flowerlite classify works"
rm -rf .venv-fresh
venv .venv-fresh
.venv-fresh/bin/python -m pip install -q .
if .venv-fresh/bin/python -m pip list 2>/dev/null | grep -iE '^(tensorflow|tensorflow-cpu|torch|keras) '; then
    echo "scripts/test.sh: pip install . pulled TensorFlow, Keras or torch" >&2
    exit 1
fi
image=$(mktemp --suffix=.png)
trap 'rm -f "$image"' EXIT
.venv-fresh/bin/python -c "
import sys
from PIL import Image
image = Image.new('RGB', (64, 48), (10, 10, 10))
image.paste((230, 230, 230), (32, 0, 64, 24))
image.save(sys.argv[1])" "$image"
out=$(.venv-fresh/bin/flowerlite classify "$image" --model sdk/tests/fixtures/quadrants_int8_metadata.tflite --top-k 1)
echo "$out"
grep -q "top right" <<<"$out"
echo "scripts/test.sh: all test stages passed"
