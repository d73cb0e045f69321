// The classification core: plain Java, no Android dependency. The app depends on it; CI compiles and
// tests the same sources with javac (core/run_tests.sh), since this machine has no Gradle or Android SDK.
plugins {
    `java-library`
}

java {
    // Java 11 bytecode and library APIs only, so that D8 accepts it for minSdk 24.
    sourceCompatibility = JavaVersion.VERSION_11
    targetCompatibility = JavaVersion.VERSION_11
}

dependencies {
    testImplementation(libs.junit)
}

// src/cli (the parity CLI, which uses javax.imageio) is JVM-only and deliberately not in any source set.
