#!/usr/bin/env bash
# Compiles the JVM core (Java 11 language level, as the Android app uses it), the parity CLI and the
# JUnit 4 tests with plain javac, then runs the tests. No Gradle, no network: only Debian's JDK and
# junit4 packages (apt-get install -y default-jdk-headless junit4).
#
#   bash android_demo/core/run_tests.sh                 compile and run the tests
#   bash android_demo/core/run_tests.sh --compile-only  compile only (used by the parity test)
#
# Classes go to $FLOWERLITE_CORE_BUILD (default android_demo/core/build/javac): main/, cli/, test/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${FLOWERLITE_CORE_BUILD:-$here/build/javac}"
junit="${JUNIT_JAR:-/usr/share/java/junit4.jar}"
hamcrest="${HAMCREST_JAR:-/usr/share/java/hamcrest-core.jar}"

for tool in javac java; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "run_tests.sh: '$tool' not found; install a JDK (apt-get install -y default-jdk-headless)" >&2
        exit 3
    fi
done

rm -rf "$out"
mkdir -p "$out/main" "$out/cli" "$out/test"
mapfile -t main_sources < <(find "$here/src/main/java" -name '*.java' | sort)
mapfile -t cli_sources < <(find "$here/src/cli/java" -name '*.java' | sort)
javac --release 11 -Xlint:all -Werror -encoding UTF-8 -d "$out/main" "${main_sources[@]}"
javac --release 11 -Xlint:all -Werror -encoding UTF-8 -cp "$out/main" -d "$out/cli" "${cli_sources[@]}"
if [[ "${1:-}" == "--compile-only" ]]; then
    echo "compiled the core into $out/main and the parity CLI into $out/cli"
    exit 0
fi

for jar in "$junit" "$hamcrest"; do
    if [[ ! -f "$jar" ]]; then
        echo "run_tests.sh: $jar not found; install JUnit 4 (apt-get install -y junit4) or set JUNIT_JAR/HAMCREST_JAR" >&2
        exit 3
    fi
done
mapfile -t test_sources < <(find "$here/src/test/java" -name '*.java' | sort)
javac --release 11 -encoding UTF-8 -cp "$out/main:$junit" -d "$out/test" "${test_sources[@]}"
mapfile -t test_classes < <(cd "$here/src/test/java" && find . -name '*Test.java' | sed 's|^\./||; s|\.java$||; s|/|.|g' | sort)
java -cp "$out/main:$out/test:$junit:$hamcrest" org.junit.runner.JUnitCore "${test_classes[@]}"
