// Versions are pinned in gradle/libs.versions.toml.
plugins {
    alias(libs.plugins.android.application) apply false
}

buildscript {
    dependencies {
        // AGP 9 compiles Kotlin itself (built-in Kotlin) with its own Kotlin Gradle plugin;
        // this classpath entry pins a newer one, as the AGP 9 release notes describe.
        classpath(libs.kotlin.gradle.plugin)
    }
}
