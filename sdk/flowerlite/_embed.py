"""Adding a TFLITE_METADATA buffer to a TFLite flatbuffer without re-serialising the model.

The standard MetadataPopulator unpacks the whole model into Python objects and packs it
again, which drops fields its schema version does not know and loses the converter's
buffer alignment. Here the old flatbuffer is kept byte for byte behind a new root table.
"""

from __future__ import annotations

import io
import struct
import zipfile

from . import _flatbuffer, _tflite_model
from .errors import InvalidModelError, MetadataError

METADATA_NAME = "TFLITE_METADATA"


def split_zip(data: bytes) -> tuple[bytes, list[str]]:
    """Separates the flatbuffer from associated files zipped after it (if any)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return data, []
    if not infos:
        return data, []
    start = min(info.header_offset for info in infos)
    head = data[:start]
    # Weights can contain a stray zip signature: only strip what leaves a valid model.
    try:
        _tflite_model.parse_model(head)
    except InvalidModelError:
        return data, []
    return head, [info.filename for info in infos]


# Model table slots (schema.fbs): which are offsets we can re-point into the embedded copy.
_MODEL_SLOTS = 10
_MODEL_SCALAR_SLOTS = {0}  # version:uint
_MODEL_BUFFERS, _MODEL_METADATA = 4, 6
_BLOB_ALIGN = 16  # the largest force_align in schema.fbs (Buffer.data)


def embed_metadata(flatbuffer: bytes, metadata_buf: bytes) -> bytes:
    """A new TFLite flatbuffer: ``flatbuffer`` verbatim plus a ``TFLITE_METADATA`` buffer.

    The new root Model table copies the old one's fields, pointing them into an
    aligned copy of the old flatbuffer placed at the end (flatbuffer offsets
    only point forward), with a new ``buffers`` vector (old Buffer tables plus
    the metadata buffer) and, if needed, a new ``metadata`` vector.
    """
    old_root = _flatbuffer.Table.root(flatbuffer)
    vtable = old_root.pos - struct.unpack_from("<i", flatbuffer, old_root.pos)[0]
    vt_size = struct.unpack_from("<H", flatbuffer, vtable)[0]
    if (vt_size - 4) // 2 > _MODEL_SLOTS:
        raise MetadataError("the model uses TFLite schema fields newer than flowerlite knows; "
                            "upgrade flowerlite to write its metadata")

    def old_target(slot: int) -> int | None:
        pos = old_root._field(slot)
        return pos + struct.unpack_from("<I", flatbuffer, pos)[0] if pos else None

    old_buffers = [t.pos for t in old_root.tables(_MODEL_BUFFERS)]
    old_metadata = old_root.tables(_MODEL_METADATA)
    replace_index = None
    for entry in old_metadata:
        if entry.string(0) == METADATA_NAME:
            replace_index = entry.scalar(1, 4)
    for t in old_root.tables(_MODEL_BUFFERS):
        if t.scalar(1, 8) > 1:
            raise MetadataError("the model keeps buffers outside its flatbuffer (over 2 GB); "
                                "flowerlite cannot add metadata to it")

    out = bytearray(8)  # root offset + identifier, patched at the end
    out[4:8] = _tflite_model.TFLITE_IDENTIFIER
    fixups: list[tuple[int, object]] = []  # (position of a uoffset, target key)

    def align(n: int) -> None:
        out.extend(b"\0" * (-len(out) % n))

    def table(fields: list[tuple[str, object]]) -> int:
        """Appends a vtable and a table of 4-byte fields: ("u32", value) or ("ref", key)."""
        align(2)
        vt = len(out)
        out.extend(struct.pack("<HH", 4 + 2 * len(fields), 4 + 4 * sum(1 for f in fields if f)))
        offset = 4
        for field in fields:
            out.extend(struct.pack("<H", offset if field else 0))
            offset += 4 if field else 0
        align(4)
        pos = len(out)
        out.extend(struct.pack("<i", pos - vt))
        for field in fields:
            if field:
                kind, value = field
                if kind == "ref":
                    fixups.append((len(out), value))
                out.extend(struct.pack("<I", value if kind == "u32" else 0))
        return pos

    def vector_of_refs(keys: list[object]) -> int:
        align(4)
        pos = len(out)
        out.extend(struct.pack("<I", len(keys)))
        for key in keys:
            fixups.append((len(out), key))
            out.extend(b"\0\0\0\0")
        return pos

    # Root Model table: scalars copied, offsets re-pointed.
    model_fields: list = []
    for slot in range((vt_size - 4) // 2):
        if not old_root.has(slot):
            model_fields.append(None)
        elif slot in _MODEL_SCALAR_SLOTS:
            model_fields.append(("u32", old_root.scalar(slot, 4)))
        elif slot == _MODEL_BUFFERS:
            model_fields.append(("ref", "buffers"))
        elif slot == _MODEL_METADATA and replace_index is None:
            model_fields.append(("ref", "metadata"))
        else:
            model_fields.append(("ref", ("old", old_target(slot))))
    while len(model_fields) <= max(_MODEL_BUFFERS, _MODEL_METADATA):
        model_fields.append(None)
    model_fields[_MODEL_BUFFERS] = ("ref", "buffers")
    if replace_index is None:
        model_fields[_MODEL_METADATA] = ("ref", "metadata")
    root = table(model_fields)

    new_buffer_index = replace_index if replace_index is not None else len(old_buffers)
    buffer_keys: list[object] = [("old", p) for p in old_buffers]
    if replace_index is None:
        buffer_keys.append("metadata_buffer")
    else:
        buffer_keys[replace_index] = "metadata_buffer"
    targets: dict[object, int] = {"buffers": vector_of_refs(buffer_keys)}
    if replace_index is None:
        targets["metadata"] = vector_of_refs([("old", t.pos) for t in old_metadata] + ["metadata_entry"])
        targets["metadata_entry"] = table([("ref", "metadata_name"), ("u32", new_buffer_index)])
        align(4)
        targets["metadata_name"] = len(out)
        name = METADATA_NAME.encode()
        out.extend(struct.pack("<I", len(name)) + name + b"\0")
    targets["metadata_buffer"] = table([("ref", "metadata_data")])
    # The data vector's bytes start 16-aligned, like the converter's buffers.
    align(4)
    out.extend(b"\0" * ((-(len(out) + 4)) % _BLOB_ALIGN))
    targets["metadata_data"] = len(out)
    out.extend(struct.pack("<I", len(metadata_buf)) + metadata_buf)
    align(_BLOB_ALIGN)
    blob = len(out)
    out.extend(flatbuffer)

    struct.pack_into("<I", out, 0, root)
    for pos, key in fixups:
        target = blob + key[1] if isinstance(key, tuple) else targets[key]
        struct.pack_into("<I", out, pos, target - pos)
    return bytes(out)
