#!/usr/bin/env bash
# Rebuild the released models in models/ with one command:
#   1. train every candidate config (a finished run is resumed, i.e. skipped; an interrupted one continues;
#      configs that use other runs ([distill], [soup], [phase1] from_run) after those runs),
#   2. export the run with the best *val* top-1 (or, when one is given, the run trained on train+val, whose
#      recipe and epochs the official-protocol runs fixed on val) to float32, float16 and int8 TFLite with metadata,
#   3. verify every file through the flowerlite SDK against the Keras model, evaluate it on the
#      6149 test images, check the int8 loss (<= 0.5 points), score it on the real-world photos and write
#      its confident score level (fitted there) into its metadata, then swap models/ + MODEL_CARD.md + SHA256SUMS.
#
#   bash scripts/release.sh [--data-dir DIR] [--photos DIR | --no-photos] [--skip-train] [CONFIG.toml ...] [-- extra `release` options]
#
# Defaults: the shipped model's configs. Official protocol (train only, choices on val): efficientnet_lite0_realworld
# (12 epochs), efficientnet_lite0_realworld30 (30 epochs, phase 1 taken from the first) and their model soup
# efficientnet_lite0_realworld_soup (their weight average, training/soup.py). The same three on train+val
# (*_trainval): the release is the train+val soup; its twins and its runs are listed beside it in the card.
# Data from ../shared/oxford102 when present, else the
# download cache; real-world photos from ../shared/realworld-val when present (else none: the card then says
# they were not measured and the files carry no confident level). PYTHON selects the interpreter (default: python).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
data_dir=""
[ -d ../shared/oxford102 ] && data_dir=../shared/oxford102
photos_dir=""
[ -d ../shared/realworld-val ] && photos_dir=../shared/realworld-val
skip_train=0
configs=()
extra=()
args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --data-dir) data_dir=$2; shift 2 ;;
    --photos) photos_dir=$2; shift 2 ;;
    --no-photos) photos_dir=""; shift ;;
    --skip-train) skip_train=1; shift ;;
    --) shift; extra=("$@"); break ;;
    -*) echo "release.sh: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
    *) configs+=("$1"); shift ;;
  esac
done
if [ ${#configs[@]} -eq 0 ]; then
  for name in realworld realworld30 realworld_soup realworld_trainval realworld30_trainval realworld_soup_trainval; do
    configs+=("training/configs/efficientnet_lite0_$name.toml")
  done
fi
data=()
[ -n "$data_dir" ] && data=(--data-dir "$data_dir")
photos=()
[ -n "$photos_dir" ] && photos=(--photos "$photos_dir")

# Students ([distill] configs) learn from finished runs, so they train after the runs they name as teachers
# or init_from (efficientnet_lite0_distill2 starts from efficientnet_lite0_distill), whatever order the names
# sort in. The order, and the refusal of students that learn from each other in a circle, come from Python
# (`python -m training plan`, which reads the configs with training.config).
plan=$("$PYTHON" -m training plan "${configs[@]}") || exit $?
mapfile -t ordered <<< "$plan"
runs=()
for config in "${ordered[@]}"; do
  run="runs/$(basename "$config" .toml)"
  if [ "$skip_train" = 0 ]; then
    echo "== train $config -> $run"
    # The real-world photos are scored after every epoch, for the record (never trained on).
    "$PYTHON" -m training train --config "$config" --run-dir "$run" "${data[@]}" ${photos[@]+"${photos[@]}"}
  fi
  runs+=("$run")
done
# The card's rebuild command trains (finished runs are skipped anyway), so it works from a fresh clone too.
rebuild=()
for a in ${args[@]+"${args[@]}"}; do if [ "$a" != --skip-train ]; then rebuild+=("$a"); fi; done
echo "== release: best val of ${runs[*]} (a train+val run, if given) -> models/"
"$PYTHON" -m training release --runs "${runs[@]}" --models-dir models "${data[@]}" ${photos[@]+"${photos[@]}"} \
  --rebuild-command "bash scripts/release.sh${rebuild[*]:+ ${rebuild[*]}}" "${extra[@]}"
echo "== done: models/ (check with: cd models && sha256sum -c SHA256SUMS)"
