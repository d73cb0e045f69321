package org.flowerlite.demo

import android.Manifest
import android.content.pm.PackageManager
import android.graphics.Bitmap
import android.net.Uri
import android.os.Bundle
import android.view.View
import android.widget.AdapterView
import android.widget.ArrayAdapter
import android.widget.Button
import android.widget.ImageView
import android.widget.Spinner
import android.widget.TextView
import androidx.activity.ComponentActivity
import androidx.activity.result.PickVisualMediaRequest
import androidx.activity.result.contract.ActivityResultContracts
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.Preview
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.core.content.ContextCompat
import java.util.Locale
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import org.flowerlite.core.Classification
import org.flowerlite.core.FlowerliteException

/**
 * Classifies a photo from the gallery (Photo Picker) or live CameraX frames with the selected model
 * variant, and shows the top 5 labels with their scores (those that reach the model's score threshold)
 * and the inference time.
 *
 * Everything model-related (loading, preprocessing, inference) runs on one background thread, so the
 * interpreter is never used concurrently and a variant switch never races a classification.
 */
class MainActivity : ComponentActivity() {
    private val worker: ExecutorService = Executors.newSingleThreadExecutor()
    private var model: LoadedModel? = null // touched on [worker] only
    private var lastPhoto: Bitmap? = null // touched on [worker] only
    private var cameraProvider: ProcessCameraProvider? = null

    private lateinit var variantSpinner: Spinner
    private lateinit var modelInfo: TextView
    private lateinit var photo: ImageView
    private lateinit var preview: PreviewView
    private lateinit var toggleCamera: Button
    private lateinit var results: TextView
    private lateinit var timing: TextView

    private val pickPhoto = registerForActivityResult(ActivityResultContracts.PickVisualMedia()) { uri ->
        if (uri != null) classifyPhoto(uri)
    }

    private val requestCamera = registerForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        if (granted) startCamera() else results.setText(R.string.camera_denied)
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_main)
        variantSpinner = findViewById(R.id.variant_spinner)
        modelInfo = findViewById(R.id.model_info)
        photo = findViewById(R.id.photo)
        preview = findViewById(R.id.camera_preview)
        toggleCamera = findViewById(R.id.toggle_camera)
        results = findViewById(R.id.results)
        timing = findViewById(R.id.timing)

        val variants = ModelVariant.list(assets)
        if (variants.isEmpty()) {
            results.setText(R.string.no_models)
            return
        }
        variantSpinner.adapter = ArrayAdapter(this, android.R.layout.simple_spinner_dropdown_item,
            variants.map { it.displayName })
        variantSpinner.onItemSelectedListener = object : AdapterView.OnItemSelectedListener {
            override fun onItemSelected(parent: AdapterView<*>, view: View?, position: Int, id: Long) =
                selectVariant(variants[position])

            override fun onNothingSelected(parent: AdapterView<*>) = Unit
        }

        findViewById<Button>(R.id.pick_photo).setOnClickListener {
            stopCamera()
            pickPhoto.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly))
        }
        toggleCamera.setOnClickListener {
            when {
                cameraProvider != null -> stopCamera()
                ContextCompat.checkSelfPermission(this, Manifest.permission.CAMERA) ==
                    PackageManager.PERMISSION_GRANTED -> startCamera()
                else -> requestCamera.launch(Manifest.permission.CAMERA)
            }
        }
    }

    /** Swaps the interpreter for another shipped .tflite; labels etc. come from that file's metadata. */
    private fun selectVariant(variant: ModelVariant) = worker.execute {
        model?.close()
        model = null
        val loaded = try {
            LoadedModel.load(assets, variant)
        } catch (e: FlowerliteException) {
            runOnUiThread { modelInfo.text = ""; results.text = e.message }
            return@execute
        }
        model = loaded
        val c = loaded.contract
        val info = getString(R.string.model_info, c.metadata().name() ?: variant.displayName,
            c.metadata().version() ?: "", c.inputWidth(), c.inputHeight(),
            c.input().type().name.lowercase(Locale.ROOT), c.labels().size,
            c.metadata().mean()?.contentToString(), c.metadata().std()?.contentToString())
        runOnUiThread { modelInfo.text = info }
        lastPhoto?.let { if (cameraProvider == null) classifyNow(it) }
    }

    private fun classifyPhoto(uri: Uri) = worker.execute {
        val bitmap = try {
            decodePhoto(contentResolver, uri)
        } catch (e: Exception) { // unreadable or unsupported image: say so, do not crash
            runOnUiThread { results.text = "Cannot read this photo: ${e.message}" }
            return@execute
        }
        lastPhoto = bitmap
        runOnUiThread { photo.setImageBitmap(bitmap) }
        classifyNow(bitmap)
    }

    /**
     * Runs on [worker]: ARGB pixels -> core preprocessing -> LiteRT -> top 5. The classifier drops
     * labels scoring below the model's own score threshold (its metadata's ScoreThresholdingOptions,
     * as the Python SDK), so fewer than 5 may come back.
     */
    private fun classifyNow(bitmap: Bitmap) {
        val current = model ?: return
        val result = current.classifier.classify(bitmap.argbPixels(), bitmap.width, bitmap.height, 5)
        val threshold = current.classifier.scoreThreshold()
        runOnUiThread { show(result, threshold) }
    }

    private fun show(result: Classification, threshold: Float) {
        results.text = if (result.categories().isEmpty()) {
            getString(R.string.below_threshold, threshold)
        } else {
            result.categories().joinToString("\n") {
                String.format(Locale.ROOT, "%-28s %5.1f%%", it.label().take(28), 100f * it.score())
            }
        }
        timing.text = getString(R.string.timing, result.inferenceNanos() / 1e6, result.preprocessNanos() / 1e6)
    }

    private fun startCamera() {
        val future = ProcessCameraProvider.getInstance(this)
        future.addListener({
            val provider = future.get()
            val previewUseCase = Preview.Builder().build().also { it.setSurfaceProvider(preview.surfaceProvider) }
            val analysis = ImageAnalysis.Builder()
                .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
                .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_RGBA_8888)
                .build()
            // The analyzer runs on the model thread itself: frames and gallery photos never overlap.
            analysis.setAnalyzer(worker, FrameAnalyzer(::classifyNow))
            provider.unbindAll()
            provider.bindToLifecycle(this, CameraSelector.DEFAULT_BACK_CAMERA, previewUseCase, analysis)
            cameraProvider = provider
            photo.visibility = View.GONE
            preview.visibility = View.VISIBLE
            toggleCamera.setText(R.string.stop_camera)
        }, ContextCompat.getMainExecutor(this))
    }

    private fun stopCamera() {
        cameraProvider?.unbindAll()
        cameraProvider = null
        preview.visibility = View.GONE
        photo.visibility = View.VISIBLE
        toggleCamera.setText(R.string.start_camera)
    }

    override fun onDestroy() {
        super.onDestroy()
        cameraProvider?.unbindAll()
        worker.execute { model?.close(); model = null }
        worker.shutdown()
    }
}
