plugins {
    alias(libs.plugins.android.application)
    // No org.jetbrains.kotlin.android: AGP 9 compiles Kotlin itself (built-in Kotlin).
}

android {
    namespace = "org.flowerlite.demo"
    compileSdk = 36

    defaultConfig {
        applicationId = "org.flowerlite.demo"
        minSdk = 24
        targetSdk = 36
        versionCode = 1
        versionName = "0.1.0"
    }

    buildTypes {
        release {
            // A demo to copy from: keep it readable in a debugger; LiteRT ships its own keep rules.
            isMinifyEnabled = false
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    androidResources {
        // Stored uncompressed, so the interpreter can memory-map the model straight from the APK.
        noCompress += "tflite"
    }
}

/**
 * Copies the released models (../models/*.tflite, or -Pflowerlite.modelsDir=DIR) into the app's
 * generated assets at build time, so that the APK ships them without a second copy in git.
 */
abstract class CopyFlowerliteModels : DefaultTask() {
    @get:InputFiles
    @get:PathSensitive(PathSensitivity.NAME_ONLY)
    abstract val models: ConfigurableFileCollection

    @get:Input
    abstract val sourceDescription: Property<String>

    @get:OutputDirectory
    abstract val outputDir: DirectoryProperty

    @TaskAction
    fun copy() {
        val out = outputDir.get().asFile
        out.deleteRecursively()
        out.mkdirs()
        val files = models.files.filter { it.isFile }.sortedBy { it.name }
        if (files.isEmpty()) {
            throw GradleException(
                "no .tflite model in ${sourceDescription.get()}: build and release the models first " +
                    "(see the repository README), or pass -Pflowerlite.modelsDir=/path/to/your/models",
            )
        }
        files.forEach { it.copyTo(out.resolve(it.name), overwrite = true) }
        logger.lifecycle("flowerlite: packed ${files.joinToString { it.name }} into the app's assets")
    }
}

val modelsDir = rootProject.layout.projectDirectory.dir(
    providers.gradleProperty("flowerlite.modelsDir").getOrElse("../models"),
)

val copyFlowerliteModels = tasks.register<CopyFlowerliteModels>("copyFlowerliteModels") {
    description = "Copies the .tflite models into the app's generated assets."
    models.from(fileTree(modelsDir) { include("*.tflite") })
    sourceDescription.set(modelsDir.asFile.path)
    outputDir.set(layout.buildDirectory.dir("generated/flowerliteModels"))
}

androidComponents {
    onVariants { variant ->
        variant.sources.assets?.addGeneratedSourceDirectory(copyFlowerliteModels, CopyFlowerliteModels::outputDir)
    }
}

dependencies {
    implementation(project(":core"))
    implementation(libs.androidx.activity.ktx)
    implementation(libs.androidx.core.ktx)
    implementation(libs.camerax.core)
    implementation(libs.camerax.camera2)
    implementation(libs.camerax.lifecycle)
    implementation(libs.camerax.view)
    implementation(libs.litert)
}
