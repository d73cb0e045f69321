#!/usr/bin/env bash
# Installs what android_demo/core needs to compile and test on a fresh Debian machine: a JDK (javac,
# java) and JUnit 4 (+ hamcrest), all from Debian's packages. Does nothing when they are present.
# Needs root (CI runs as root); otherwise prints the command and leaves the tests to skip.
set -euo pipefail

if command -v javac >/dev/null 2>&1 && command -v java >/dev/null 2>&1 \
        && [[ -f /usr/share/java/junit4.jar && -f /usr/share/java/hamcrest-core.jar ]]; then
    exit 0
fi
packages=(junit4 libhamcrest-java)
command -v javac >/dev/null 2>&1 || packages=(default-jdk-headless "${packages[@]}")
if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "android_demo/core: missing a JDK or JUnit 4; run: sudo apt-get install -y ${packages[*]}" >&2
    exit 0
fi
echo "android_demo/core: installing ${packages[*]} from Debian"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
