package org.flowerlite.demo

import android.content.res.AssetManager
import java.io.FileInputStream
import java.nio.ByteBuffer
import java.nio.channels.FileChannel
import org.flowerlite.core.ClassifierModel
import org.flowerlite.core.FlowerClassifier

/**
 * A model variant ready to classify: its contract read by the core from the file's own metadata
 * (labels, mean/std, input size, dtype, quantisation) and a LiteRT interpreter to run it.
 */
class LoadedModel private constructor(
    val variant: ModelVariant,
    val classifier: FlowerClassifier,
    private val engine: LiteRtEngine,
) : AutoCloseable {
    val contract: ClassifierModel get() = classifier.model()

    override fun close() = engine.close()

    companion object {
        /**
         * Maps the asset (stored uncompressed, see noCompress in build.gradle.kts) and reads its contract.
         *
         * @throws org.flowerlite.core.FlowerliteException if the file is not a usable classifier or
         *     its metadata lacks labels or normalisation
         */
        fun load(assets: AssetManager, variant: ModelVariant, threads: Int = 4): LoadedModel {
            val mapped = assets.openFd(variant.assetName).use { fd ->
                FileInputStream(fd.fileDescriptor).channel.use { channel ->
                    channel.map(FileChannel.MapMode.READ_ONLY, fd.startOffset, fd.declaredLength)
                }
            }
            val bytes = ByteArray(mapped.remaining()).also { (mapped.duplicate() as ByteBuffer).get(it) }
            val contract = ClassifierModel.fromBytes(bytes, variant.assetName)
            val engine = LiteRtEngine(mapped, threads)
            return LoadedModel(variant, FlowerClassifier(contract, engine), engine)
        }
    }
}
