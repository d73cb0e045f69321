package org.flowerlite.demo

import android.content.res.AssetManager

/** One .tflite file shipped in the app's assets (copied there from ../models at build time). */
data class ModelVariant(val assetName: String) {
    /** "flowerlite-efficientnet_lite0-int8.tflite" -> "efficientnet_lite0 · int8". */
    val displayName: String
        get() {
            val stem = assetName.removeSuffix(".tflite").removePrefix("flowerlite-")
            val cut = stem.lastIndexOf('-')
            return if (cut > 0) "${stem.substring(0, cut)} · ${stem.substring(cut + 1)}" else stem
        }

    companion object {
        /** Every shipped model, int8 first (the fastest on phones), then by name. */
        fun list(assets: AssetManager): List<ModelVariant> =
            (assets.list("") ?: emptyArray())
                .filter { it.endsWith(".tflite") }
                .sortedWith(compareBy<String>({ !it.endsWith("-int8.tflite") }, { it }))
                .map(::ModelVariant)
    }
}
