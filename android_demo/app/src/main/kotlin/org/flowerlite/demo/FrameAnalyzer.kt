package org.flowerlite.demo

import android.graphics.Bitmap
import android.graphics.Matrix
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy

/**
 * Hands each CameraX analysis frame (RGBA_8888 output format) to [onFrame] as an upright bitmap.
 * With STRATEGY_KEEP_ONLY_LATEST, frames arriving while one is being classified are dropped.
 */
class FrameAnalyzer(private val onFrame: (Bitmap) -> Unit) : ImageAnalysis.Analyzer {
    override fun analyze(image: ImageProxy) {
        image.use {
            val frame = it.toBitmap()
            val rotation = it.imageInfo.rotationDegrees
            val upright = if (rotation == 0) {
                frame
            } else {
                val m = Matrix().apply { postRotate(rotation.toFloat()) }
                Bitmap.createBitmap(frame, 0, 0, frame.width, frame.height, m, false)
            }
            onFrame(upright)
        }
    }
}
