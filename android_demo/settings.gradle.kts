// flowerlite Android demo: ":app" (Kotlin, Android) on top of ":core" (plain Java, no Android
// dependency; also compiled and tested in CI by core/run_tests.sh without Gradle).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "flowerlite-android-demo"
include(":core", ":app")
