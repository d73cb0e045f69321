package org.flowerlite.demo

import java.nio.ByteBuffer
import org.flowerlite.core.InferenceEngine
import org.tensorflow.lite.Interpreter

/** Runs the model with LiteRT's Interpreter (CPU, XNNPACK). Not thread-safe: FlowerClassifier serialises calls. */
class LiteRtEngine(model: ByteBuffer, threads: Int) : InferenceEngine, AutoCloseable {
    private val interpreter = Interpreter(model, Interpreter.Options().setNumThreads(threads))

    override fun run(input: ByteBuffer, output: ByteBuffer) {
        interpreter.run(input, output)
    }

    override fun close() {
        interpreter.close()
    }
}
