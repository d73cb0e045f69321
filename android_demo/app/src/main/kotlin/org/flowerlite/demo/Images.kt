package org.flowerlite.demo

import android.content.ContentResolver
import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.graphics.ImageDecoder
import android.graphics.Matrix
import android.media.ExifInterface
import android.net.Uri
import android.os.Build

/** Gallery photos are decoded at most this large; bigger ones are subsampled by a power of two. */
const val MAX_DECODE_PIXELS = 12_000_000

/** Row-major ARGB pixels, what the core's preprocessing takes (Bitmap -> pixels is all the app does). */
fun Bitmap.argbPixels(): IntArray {
    val soft = if (config == Bitmap.Config.ARGB_8888) this else copy(Bitmap.Config.ARGB_8888, false)
    val pixels = IntArray(soft.width * soft.height)
    soft.getPixels(pixels, 0, soft.width, 0, 0, soft.width, soft.height)
    return pixels
}

private fun sampleSize(width: Int, height: Int): Int {
    var sample = 1
    while (width.toLong() / sample * (height.toLong() / sample) > MAX_DECODE_PIXELS) sample *= 2
    return sample
}

/** Decodes a picked photo upright (EXIF orientation applied, as the Python SDK's load_image does). */
fun decodePhoto(resolver: ContentResolver, uri: Uri): Bitmap {
    if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
        // ImageDecoder applies the EXIF orientation itself.
        return ImageDecoder.decodeBitmap(ImageDecoder.createSource(resolver, uri)) { decoder, info, _ ->
            decoder.allocator = ImageDecoder.ALLOCATOR_SOFTWARE // getPixels needs a software bitmap
            decoder.setTargetSampleSize(sampleSize(info.size.width, info.size.height))
        }
    }
    val bounds = BitmapFactory.Options().apply { inJustDecodeBounds = true }
    resolver.openInputStream(uri).use { BitmapFactory.decodeStream(it, null, bounds) }
    val options = BitmapFactory.Options().apply { inSampleSize = sampleSize(bounds.outWidth, bounds.outHeight) }
    val bitmap = resolver.openInputStream(uri).use { BitmapFactory.decodeStream(it, null, options) }
        ?: throw IllegalArgumentException("$uri is not an image Android can decode")
    val orientation = resolver.openInputStream(uri).use { stream ->
        stream?.let { ExifInterface(it).getAttributeInt(ExifInterface.TAG_ORIENTATION, ExifInterface.ORIENTATION_NORMAL) }
    } ?: ExifInterface.ORIENTATION_NORMAL
    return orient(bitmap, orientation)
}

/** Applies an EXIF orientation (the eight cases of ImageOps.exif_transpose). */
fun orient(bitmap: Bitmap, orientation: Int): Bitmap {
    val m = Matrix()
    when (orientation) {
        ExifInterface.ORIENTATION_FLIP_HORIZONTAL -> m.setScale(-1f, 1f)
        ExifInterface.ORIENTATION_ROTATE_180 -> m.setRotate(180f)
        ExifInterface.ORIENTATION_FLIP_VERTICAL -> m.setScale(1f, -1f)
        ExifInterface.ORIENTATION_TRANSPOSE -> { m.setRotate(90f); m.postScale(-1f, 1f) }
        ExifInterface.ORIENTATION_ROTATE_90 -> m.setRotate(90f)
        ExifInterface.ORIENTATION_TRANSVERSE -> { m.setRotate(-90f); m.postScale(-1f, 1f) }
        ExifInterface.ORIENTATION_ROTATE_270 -> m.setRotate(-90f)
        else -> return bitmap
    }
    return Bitmap.createBitmap(bitmap, 0, 0, bitmap.width, bitmap.height, m, false)
}
