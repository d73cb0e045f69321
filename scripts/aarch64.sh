#!/usr/bin/env bash
# The SDK on an emulated Raspberry Pi (aarch64: Debian 12 arm64, Python 3.11, a Pi 4's CPU), checked
# against this x86 machine. CI runs it after scripts/test.sh (.ci/run); a person runs it the same way:
#
#   bash scripts/aarch64.sh
#   bash scripts/aarch64.sh benchmark --limit 300 ...   # python -m benchmarks run ... in the emulated Pi
#
# 1. Host tools: qemu-user-static and debootstrap from apt (installed when missing).
# 2. The Pi's userland, built once and cached: debootstrap --foreign --variant=minbase (Debian 12
#    arm64, python3, python3-venv), its .debs unpacked with dpkg-deb (no second stage needed).
# 3. Every arm64 command runs in `unshare --user --map-root-user --mount`: a private binfmt_misc
#    (Linux >= 6.7) registers qemu-aarch64 there, /proc, /sys and /dev are bound into the root, a
#    Raspberry Pi 4 /proc/cpuinfo (Cortex-A72) over it, then chroot, with QEMU_CPU=cortex-a72.
#    Nothing is registered or mounted on the host.
# 4. In the Pi: `pip install .` from the checkout, `flowerlite info`, `flowerlite classify`; then
#    on 300 stratified Oxford 102 test images the input tensors must be bit-identical to x86's,
#    the raw outputs within one output step and top-1 the same (scripts/aarch64_parity.py; skipped
#    with a message without ../shared/oxford102); then the SDK tests on ai-edge-litert and on
#    tflite-runtime 2.14 (numpy<2), each less its known failures (scripts/aarch64-known-failures.txt).
#
# Environment:
#   FLOWERLITE_AARCH64_CACHE  cache of debs, wheels and the built root (default ~/.cache/flowerlite/aarch64,
#                             under $XDG_CACHE_HOME when set)
#   FLOWERLITE_DATA_DIR       Oxford 102 (default ../shared/oxford102 beside the checkout)
#   AARCH64_IMAGES            images compared with x86 (default 300; 0 skips the comparison)
#   AARCH64_STEPS             which steps to run (default "cli parity tests-litert tests-tflite")
#   QEMU_CPU                  the emulated CPU (default cortex-a72, a Pi 4; cortex-a76 is a Pi 5).
#                             qemu's own default, "max", makes ai-edge-litert 2.3 compute wrong scores:
#                             QEMU_CPU=max bash scripts/aarch64.sh fails the comparison.
#   AARCH64_BENCH_OUTPUT      where `benchmark` copies its results (default benchmarks/results/tmp/aarch64)
#   X86_PYTHON                the x86 Python with the checkout's SDK and scipy (default .venv/bin/python,
#                             created with pip install -e ".[bench]" when missing)
set -euo pipefail

RECIPE=1  # bump when the root's recipe below changes: the cached root is rebuilt
SUITE=bookworm
MIRROR=${AARCH64_MIRROR:-http://deb.debian.org/debian}
LITERT_VENV=/opt/venv-litert
TFLITE_VENV=/opt/venv-tflite
BENCH_VENV=/opt/venv-bench

if [[ ${1:-} == __inside ]]; then
    # In the private user+mount namespace: binfmt_misc, the root's mounts, then the command in the chroot.
    shift
    root=$1 cache=$2 checkout=$3 data=$4 work=$5
    shift 5
    binfmt=$cache/binfmt
    mount -t binfmt_misc binfmt_misc "$binfmt"
    cat /usr/lib/binfmt.d/qemu-aarch64.conf >"$binfmt/register"
    mount --rbind /proc "$root/proc"
    mount --rbind /sys "$root/sys"
    mount --rbind /dev "$root/dev"
    mount --bind "$cache/cpuinfo-pi4" "$root/proc/cpuinfo"
    mkdir -p "$root/wheels" "$root/work" "$root/data"
    mount --bind "$cache/wheels" "$root/wheels"
    mount --bind "$work" "$root/work"
    if [[ -n $data ]]; then
        mkdir -p "$root/data/oxford102"
        mount --bind "$data" "$root/data/oxford102"
        mount -o remount,bind,ro "$root/data/oxford102"
    fi
    exec chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
        QEMU_CPU="$QEMU_CPU" PIP_CERT=/etc/ssl/certs/host-ca.crt PIP_DISABLE_PIP_VERSION_CHECK=1 \
        PIP_PROGRESS_BAR=off PIP_ROOT_USER_ACTION=ignore "$@"
fi

mode=check
if [[ ${1:-} == benchmark ]]; then
    mode=benchmark
    shift
elif [[ $# -gt 0 ]]; then
    echo "usage: bash scripts/aarch64.sh [benchmark BENCHMARK-RUN-ARGS...]" >&2
    exit 2
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
checkout=$PWD
qemu_cpu=${QEMU_CPU:-cortex-a72}
unset QEMU_CPU  # for the Pi only, not the host's own programs
cache=${FLOWERLITE_AARCH64_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/flowerlite/aarch64}
data=${FLOWERLITE_DATA_DIR:-$checkout/../shared/oxford102}
images=${AARCH64_IMAGES:-300}
steps=" ${AARCH64_STEPS:-cli parity tests-litert tests-tflite} "
root=$cache/root
started=$SECONDS

say() { echo "== aarch64 [$((SECONDS - started))s]: $*"; }
die() { echo "scripts/aarch64.sh: $*" >&2; exit 1; }

# 1. Host tools.
if ! command -v qemu-aarch64-static >/dev/null || ! command -v debootstrap >/dev/null; then
    say "installing qemu-user-static and debootstrap with apt"
    [[ $(id -u) -eq 0 ]] || die "qemu-user-static and debootstrap are missing: apt-get install qemu-user-static debootstrap (as root)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static debootstrap >/dev/null
fi
[[ -f /usr/lib/binfmt.d/qemu-aarch64.conf ]] || die "/usr/lib/binfmt.d/qemu-aarch64.conf is missing: reinstall qemu-user-static"
mkdir -p "$cache/debs" "$cache/wheels" "$cache/binfmt"

# A Raspberry Pi 4's /proc/cpuinfo: under qemu-user the host's would show, and XNNPACK then crashes.
cat >"$cache/cpuinfo-pi4" <<'EOF'
processor	: 0
BogoMIPS	: 108.00
Features	: fp asimd evtstrm crc32 cpuid
CPU implementer	: 0x41
CPU architecture: 8
CPU variant	: 0x0
CPU part	: 0xd08
CPU revision	: 3

processor	: 1
BogoMIPS	: 108.00
Features	: fp asimd evtstrm crc32 cpuid
CPU implementer	: 0x41
CPU architecture: 8
CPU variant	: 0x0
CPU part	: 0xd08
CPU revision	: 3

processor	: 2
BogoMIPS	: 108.00
Features	: fp asimd evtstrm crc32 cpuid
CPU implementer	: 0x41
CPU architecture: 8
CPU variant	: 0x0
CPU part	: 0xd08
CPU revision	: 3

processor	: 3
BogoMIPS	: 108.00
Features	: fp asimd evtstrm crc32 cpuid
CPU implementer	: 0x41
CPU architecture: 8
CPU variant	: 0x0
CPU part	: 0xd08
CPU revision	: 3

Hardware	: BCM2835
Revision	: c03111
Serial		: 10000000deadbeef
Model		: Raspberry Pi 4 Model B Rev 1.1 (emulated by qemu-user, not a real Pi)
EOF

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pi() {  # pi COMMAND...: run COMMAND in the emulated Pi
    [[ -d $data ]] && d=$data || d=
    QEMU_CPU=$qemu_cpu unshare --user --map-root-user --mount --fork "$BASH" "$checkout/scripts/aarch64.sh" __inside \
        "$root" "$cache" "$checkout" "$d" "$work" "$@"
}

# 2. The Pi's userland (cached; rebuilt when the recipe changes or a build was cut short).
if [[ $(cat "$root/.flowerlite-recipe" 2>/dev/null) != "$RECIPE" ]]; then
    say "building the Debian 12 arm64 root (debootstrap stage 1, debs cached in $cache/debs)"
    rm -rf "$root" "$root.tmp"
    debootstrap --arch=arm64 --foreign --variant=minbase --include=python3,python3-venv \
        --cache-dir="$cache/debs" "$SUITE" "$root.tmp" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
        || { tail -20 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
    for deb in "$root.tmp"/var/cache/apt/archives/*.deb; do
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root.tmp" --keep-directory-symlink
    done
    rm -f "$root.tmp"/var/cache/apt/archives/*.deb
    rm -rf "$root.tmp/proc" && mkdir "$root.tmp/proc"  # debootstrap leaves a symlink to the host's /proc
    mv "$root.tmp" "$root"
    echo "$RECIPE" >"$root/.flowerlite-recipe"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/etc/ssl/certs"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/host-ca.crt"  # pip in the Pi trusts what the host trusts
pi /usr/bin/uname -m | grep -qx aarch64 || die "the private binfmt_misc did not run an arm64 program: needs Linux >= 6.7 and user namespaces"
say "Pi userland: $(pi /usr/bin/python3 --version), $(pi /bin/sh -c '. /etc/os-release; echo $PRETTY_NAME'), QEMU_CPU=$qemu_cpu"

# The checkout as git sees it (tracked and untracked, not ignored: no venvs), copied for the Pi.
mkdir "$work/src"  # /work/src in the Pi: one copy per run, so that runs can overlap
git ls-files -z --cached --others --exclude-standard \
    | tar -c --null --ignore-failed-read -T - 2>/dev/null | tar -x -C "$work/src"

# The x86 side: the checkout's SDK and the dataset reader (scipy for Oxford 102's .mat files).
x86_python=${X86_PYTHON:-$checkout/.venv/bin/python}
if [[ ! -x $x86_python ]]; then
    say "creating .venv for the x86 side (pip install -e .[bench])"
    python3.11 -m venv .venv
    .venv/bin/python -m pip install -q -e ".[bench]"
    x86_python=$checkout/.venv/bin/python
fi
litert_version=$("$x86_python" -c "import importlib.metadata as m; print(m.version('ai-edge-litert'))")

# pip in the Pi does not keep its HTTP cache on this network, so the arm64 wheels are kept in
# $cache/wheels (/wheels in the Pi): `pip download` fetches only what is not there yet, then
# `pip install --no-index` installs from it. setuptools: the checkout's build backend.
pi_install() {  # pi_install VENV PIP-INSTALL-ARGS: create VENV (again, if broken), install into it from /wheels
    local venv=$1
    shift
    pi /bin/sh -ec "$venv/bin/pip --version >/dev/null 2>&1 || { rm -rf $venv; python3 -m venv $venv; }
        cd /work/src
        $venv/bin/pip download -q -d /wheels 'setuptools>=69' wheel $*
        $venv/bin/pip install -q --no-index --find-links /wheels $*"
}

if [[ $mode == benchmark ]]; then
    # The benchmark harness from the checkout (python -m benchmarks), scipy for Oxford 102's .mat files;
    # no matplotlib (--no-charts): latency under emulation is not a Pi's, and nothing should chart it.
    [[ -d $data ]] || die "the benchmark needs Oxford 102 at $data (set FLOWERLITE_DATA_DIR)"
    out=${AARCH64_BENCH_OUTPUT:-benchmarks/results/tmp/aarch64}
    say "venv $BENCH_VENV: pip install . scipy tqdm (ai-edge-litert==$litert_version)"
    pi_install $BENCH_VENV . "'ai-edge-litert==$litert_version'" scipy tqdm
    say "python -m benchmarks run --data-dir /data/oxford102 --no-charts $* (emulated: QEMU_CPU=$qemu_cpu)"
    pi /bin/sh -ec "cd /work/src && exec $BENCH_VENV/bin/python -m benchmarks run --data-dir /data/oxford102 \
        --no-charts --output /work/benchmark $*"
    mkdir -p "$out"
    cp "$work"/benchmark/* "$out"/
    say "results in $out (emulated aarch64: its latencies are qemu's, not a Raspberry Pi's)"
    exit 0
fi

# 3. ai-edge-litert venv: pip install . from the checkout, the same ai-edge-litert as x86.
say "venv $LITERT_VENV: pip install . (ai-edge-litert==$litert_version)"
pi_install $LITERT_VENV . "'ai-edge-litert==$litert_version'" pytest

if [[ $steps == *" cli "* ]]; then
    say "flowerlite info / classify"
    pi $LITERT_VENV/bin/flowerlite info
    if [[ -d $data ]]; then
        photos=(jpg/image_06734.jpg jpg/image_06750.jpg)
        pi $LITERT_VENV/bin/flowerlite classify "${photos[@]/#//data/oxford102/}" --top-k 3
    else
        pi $LITERT_VENV/bin/python -c "from PIL import Image; Image.new('RGB', (320, 240), (200, 40, 90)).save('/work/red.png')"
        pi $LITERT_VENV/bin/flowerlite classify /work/red.png --top-k 3
    fi
fi

if [[ $steps == *" parity "* ]]; then
    if [[ ! -d $data ]]; then
        say "SKIPPED the comparison with x86: no Oxford 102 at $data (set FLOWERLITE_DATA_DIR)"
    elif [[ $images -eq 0 ]]; then
        say "SKIPPED the comparison with x86: AARCH64_IMAGES=0"
    else
        say "input tensors and raw outputs on $images stratified Oxford 102 test images, x86 against aarch64"
        PYTHONPATH=$checkout "$x86_python" scripts/aarch64_parity.py sample --data-dir "$data" --limit "$images" \
            --out "$work/manifest.tsv"
        "$x86_python" scripts/aarch64_parity.py dump --manifest "$work/manifest.tsv" --data-dir "$data" \
            --out "$work/x86.npz"
        pi $LITERT_VENV/bin/python /work/src/scripts/aarch64_parity.py dump --manifest /work/manifest.tsv \
            --data-dir /data/oxford102 --out /work/aarch64.npz
        # One output step of slack: Arm's int8 kernels round a few outputs differently from x86's
        # (1 step, about 1% of images, the same on every Arm CPU model qemu offers); a wrong CPU
        # model (QEMU_CPU=max) is off by far more. Input tensors must match exactly.
        "$x86_python" scripts/aarch64_parity.py compare --tolerance 1 "$work/x86.npz" "$work/aarch64.npz"
    fi
fi

# pytest's "no tests collected" (exit 5) is not a failure; -p no:cacheprovider: /work/src is new each run.
# Known failures (of the emulation, or of tflite-runtime's arm64 build): listed with their cause in
# scripts/aarch64-known-failures.txt, passed to pytest as --deselect in an @args file.
pi_pytest() {  # pi_pytest VENV RUNTIME [ENV=VALUE...]: the SDK tests less RUNTIME's known failures
    local venv=$1 runtime=$2 status=0
    shift 2
    awk -v rt="$runtime" '!/^#/ && NF && ($1 == "any" || $1 == rt) { sub(/^[^ ]+ /, ""); print "--deselect"; print }' \
        scripts/aarch64-known-failures.txt >"$work/known-$runtime.args"
    say "SDK tests on $runtime (aarch64), $(grep -c -- --deselect "$work/known-$runtime.args") known failures deselected"
    pi /usr/bin/env "$@" /bin/sh -c "cd /work/src && $venv/bin/python -m pytest sdk/tests -q -p no:cacheprovider @/work/known-$runtime.args" || status=$?
    [[ $status -eq 0 || $status -eq 5 ]] || die "SDK tests failed under emulation ($venv, status $status)"
}

if [[ $steps == *" tests-litert "* ]]; then
    pi_pytest $LITERT_VENV ai-edge-litert
fi

if [[ $steps == *" tests-tflite "* ]]; then
    say "venv $TFLITE_VENV: tflite-runtime 2.14, numpy<2, pip install --no-deps ."
    pi_install $TFLITE_VENV "'tflite-runtime==2.14.0'" "'numpy<2'" Pillow flatbuffers pytest
    pi /bin/sh -ec "cd /work/src && $TFLITE_VENV/bin/pip install -q --no-index --find-links /wheels --no-deps ."
    if [[ -d $data ]]; then
        say "flowerlite classify on tflite-runtime 2.14 (the released int8 model)"
        pi /usr/bin/env FLOWERLITE_RUNTIME=tflite-runtime $TFLITE_VENV/bin/flowerlite classify \
            /data/oxford102/jpg/image_06734.jpg /data/oxford102/jpg/image_06750.jpg --top-k 2
    fi
    pi_pytest $TFLITE_VENV tflite-runtime FLOWERLITE_RUNTIME=tflite-runtime
fi

say "all aarch64 steps passed (QEMU_CPU=$qemu_cpu)"
