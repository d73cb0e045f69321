#!/usr/bin/env bash
# The main job on the embedded default: install the SDK alone (no TensorFlow, no torch) into
# .venv-demo and classify flower photos with the int8 model packaged inside the wheel.
#
#   bash scripts/demo.sh [IMAGE...]
#
# With no IMAGE, it classifies five official Oxford 102 *test* photos from ../shared/oxford102
# (true labels: pink primrose, lenten rose, pink-yellow dahlia, anthurium, mexican petunia).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_PROGRESS_BAR=off

images=("$@")
if [[ ${#images[@]} -eq 0 ]]; then
    data=../shared/oxford102/jpg
    if [[ ! -d $data ]]; then
        echo "scripts/demo.sh: no images given and $data is absent: pass photo paths, e.g. bash scripts/demo.sh rose.jpg" >&2
        exit 2
    fi
    images=("$data"/image_06734.jpg "$data"/image_04612.jpg "$data"/image_02943.jpg "$data"/image_02004.jpg "$data"/image_07816.jpg)
fi

[[ -x .venv-demo/bin/python ]] || "$PYTHON" -m venv .venv-demo
.venv-demo/bin/python -m pip install -q .
.venv-demo/bin/flowerlite info
.venv-demo/bin/flowerlite classify "${images[@]}" --top-k 3
