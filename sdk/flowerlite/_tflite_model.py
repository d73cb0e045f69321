"""Reads and validates the structure of a ``.tflite`` model before any runtime sees it.

TFLite interpreters trust the flatbuffer they are given: tflite-runtime 2.14
segfaults on many truncated or corrupted files. :func:`parse_model` therefore
verifies the whole flatbuffer (see :mod:`flowerlite._flatbuffer`) and the
cross-references the interpreter follows without checking (buffer, tensor and
opcode indices, shapes, quantisation arrays), and raises
:class:`~flowerlite.errors.InvalidModelError` instead.
"""

from __future__ import annotations

import dataclasses
import math

from . import _flatbuffer, _tflite_layout
from .errors import InvalidModelError

TFLITE_IDENTIFIER = b"TFL3"
SCHEMA_VERSION = 3

# schema.fbs TensorType -> numpy dtype name (None: not a plain numpy type).
TENSOR_TYPES = {
    0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 5: None, 6: "bool",
    7: "int16", 8: "complex64", 9: "int8", 10: "float64", 11: "complex128", 12: "uint64",
    13: None, 14: None, 15: "uint32", 16: "uint16", 17: None, 18: None, 19: None, 20: None,
    21: None,
}
# Limits on tensors the runtime would allocate (a corrupted shape must not make it
# try to allocate gigabytes): elements per tensor, and bytes over all of them.
MAX_TENSOR_ELEMENTS = 2**26
MAX_ACTIVATION_BYTES = 2**31
_ITEM_SIZES = {"float32": 4, "float16": 2, "int32": 4, "uint8": 1, "int64": 8, "bool": 1, "int16": 2,
               "complex64": 8, "int8": 1, "float64": 8, "complex128": 16, "uint64": 8, "uint32": 4,
               "uint16": 2}
_MAX_BUILTIN_CODE = 1024  # far above any real operator, far below anything absurd


# Field slots of the tables we read (schema.fbs order; see _tflite_layout).
class _Model:
    VERSION, OPERATOR_CODES, SUBGRAPHS, DESCRIPTION, BUFFERS = 0, 1, 2, 3, 4
    METADATA_BUFFER, METADATA, SIGNATURE_DEFS = 5, 6, 7


class _SubGraph:
    TENSORS, INPUTS, OUTPUTS, OPERATORS, NAME = 0, 1, 2, 3, 4


class _Tensor:
    SHAPE, TYPE, BUFFER, NAME, QUANTIZATION, IS_VARIABLE, SPARSITY, SHAPE_SIGNATURE = range(8)


class _Quant:
    MIN, MAX, SCALE, ZERO_POINT, DETAILS_TYPE, DETAILS, QUANTIZED_DIMENSION = range(7)


class _Operator:
    OPCODE_INDEX, INPUTS, OUTPUTS, BUILTIN_OPTIONS_TYPE, BUILTIN_OPTIONS = 0, 1, 2, 3, 4
    INTERMEDIATES = 8


# Inputs and outputs each builtin kernel expects: (min in, max in, min out, max out,
# optional input positions). TFLite kernels read some inputs before checking how
# many there are, so an operator whose code was damaged into another operator
# reads past its input list and crashes; checking arity first prevents that.
_MANY = 1 << 20
_UNARY = (1, 1, 1, 1, ())
_BINARY = (2, 2, 1, 1, ())
_ARITY_BY_NAME = {
    **dict.fromkeys((
        "ABS", "AVERAGE_POOL_2D", "CAST", "CEIL", "COS", "DEPTH_TO_SPACE", "DEQUANTIZE", "ELU", "EXP",
        "FLOOR", "GELU", "HARD_SWISH", "L2_NORMALIZATION", "L2_POOL_2D", "LEAKY_RELU",
        "LOCAL_RESPONSE_NORMALIZATION", "LOG", "LOG_SOFTMAX", "LOGICAL_NOT", "LOGISTIC", "MAX_POOL_2D",
        "NEG", "QUANTIZE", "RANK", "RELU", "RELU6", "RELU_0_TO_1", "RELU_N1_TO_1", "ROUND", "RSQRT", "SHAPE",
        "SIGN", "SIN", "SOFTMAX", "SPACE_TO_DEPTH", "SQRT", "SQUARE", "SQUEEZE", "TANH", "ZEROS_LIKE",
        "ONES_LIKE"), _UNARY),
    **dict.fromkeys((
        "ADD", "ARG_MAX", "ARG_MIN", "BATCH_MATMUL", "BROADCAST_TO", "DIV", "EQUAL", "EXPAND_DIMS", "FILL",
        "FLOOR_DIV", "FLOOR_MOD", "GATHER", "GATHER_ND", "GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL",
        "LOGICAL_AND", "LOGICAL_OR", "MAXIMUM", "MEAN", "MINIMUM", "MIRROR_PAD", "MUL", "NOT_EQUAL", "PAD",
        "POW", "PRELU", "REDUCE_ANY", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD", "RESIZE_BILINEAR",
        "RESIZE_NEAREST_NEIGHBOR", "SQUARED_DIFFERENCE", "SUB", "SUM", "TILE", "TRANSPOSE"), _BINARY),
    "CONCATENATION": (1, _MANY, 1, 1, ()),
    "PACK": (1, _MANY, 1, 1, ()),
    "ADD_N": (1, _MANY, 1, 1, ()),
    "CONV_2D": (2, 3, 1, 1, (2,)),
    "DEPTHWISE_CONV_2D": (2, 3, 1, 1, (2,)),
    "FULLY_CONNECTED": (2, 3, 1, 2, (2,)),
    "TRANSPOSE_CONV": (3, 4, 1, 1, (3,)),
    "RESHAPE": (1, 2, 1, 1, ()),
    "PADV2": (3, 3, 1, 1, ()),
    "SLICE": (3, 3, 1, 1, ()),
    "STRIDED_SLICE": (4, 4, 1, 1, ()),
    "SELECT": (3, 3, 1, 1, ()),
    "SELECT_V2": (3, 3, 1, 1, ()),
    "SPLIT": (2, 2, 1, _MANY, ()),
    "SPLIT_V": (3, 3, 1, _MANY, ()),
    "UNPACK": (1, 1, 1, _MANY, ()),
}
_ARITY = {code: _ARITY_BY_NAME[name] for code, name in _tflite_layout.BUILTIN_OPERATORS.items()
          if name in _ARITY_BY_NAME}
_SMALLEST_NORMAL_FLOAT32 = 1.1754944e-38

# Convolution and pooling options that kernels trust: a zero stride divides by zero
# (SIGFPE in tflite-runtime), a padding or activation outside its enum or a stride larger
# than the image corrupts the heap. op name -> (options union member, padding slot,
# activation slot, {slot: (field name, default, axis of the input it may not exceed)}).
_CONV_FIELDS = {1: ("stride_w", 0, 2), 2: ("stride_h", 0, 1)}
_POOL_FIELDS = {1: ("stride_w", 0, 2), 2: ("stride_h", 0, 1), 3: ("filter_width", 0, 2),
                4: ("filter_height", 0, 1)}
_POSITIVE_OPTIONS = {
    "CONV_2D": ("Conv2DOptions", 0, 3, {**_CONV_FIELDS, 4: ("dilation_w_factor", 1, 2),
                                        5: ("dilation_h_factor", 1, 1)}),
    "DEPTHWISE_CONV_2D": ("DepthwiseConv2DOptions", 0, 4, {**_CONV_FIELDS, 5: ("dilation_w_factor", 1, 2),
                                                           6: ("dilation_h_factor", 1, 1)}),
    "AVERAGE_POOL_2D": ("Pool2DOptions", 0, 5, _POOL_FIELDS),
    "MAX_POOL_2D": ("Pool2DOptions", 0, 5, _POOL_FIELDS),
    "L2_POOL_2D": ("Pool2DOptions", 0, 5, _POOL_FIELDS),
    "TRANSPOSE_CONV": ("TransposeConvOptions", 0, 3, {1: ("stride_w", 0, None), 2: ("stride_h", 0, None)}),
}
_PADDINGS = (0, 1)  # SAME, VALID
_MAX_WINDOW = 4096
_ACTIVATIONS = range(6)  # NONE, RELU, RELU_N1_TO_1, RELU6, TANH, SIGN_BIT
_OPTION_CODES = {name: code for code, name in _tflite_layout.UNIONS["BuiltinOptions"].items()}


class _OperatorCode:
    DEPRECATED_BUILTIN_CODE, CUSTOM_CODE, VERSION, BUILTIN_CODE = 0, 1, 2, 3


class _Buffer:
    DATA, OFFSET, SIZE = 0, 1, 2


class _Metadata:
    NAME, BUFFER = 0, 1


class _SignatureDef:
    INPUTS, OUTPUTS, KEY, _DEPRECATED, SUBGRAPH_INDEX = range(5)


class _TensorMap:
    NAME, TENSOR_INDEX = 0, 1


@dataclasses.dataclass(frozen=True)
class TensorSpec:
    """One input or output tensor of the main subgraph."""

    index: int
    name: str
    shape: tuple[int, ...]
    shape_signature: tuple[int, ...]
    dtype: str | None
    scales: tuple[float, ...]
    zero_points: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class ModelStructure:
    """What flowerlite needs from a verified model flatbuffer."""

    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    metadata: dict[str, bytes]
    description: str | None


def _fail(source: str, what: str) -> InvalidModelError:
    return InvalidModelError(
        f"{source} is not a valid TFLite model ({what}); the file is corrupt or truncated: "
        "re-download or re-export it"
    )


def parse_model(data: bytes, source: str = "model") -> ModelStructure:
    """Verifies ``data`` as a TFLite flatbuffer and returns its structure.

    Raises:
        InvalidModelError: the data is not a complete, well-formed TFLite model.
    """
    try:
        _flatbuffer.verify(data, "Model", TFLITE_IDENTIFIER, _tflite_layout.TABLES, _tflite_layout.UNIONS)
    except _flatbuffer.VerifyError as exc:
        raise _fail(source, str(exc)) from None
    try:
        return _check_model(data, source)
    except (IndexError, ValueError, OverflowError) as exc:  # defensive: verified reads stay in bounds
        raise _fail(source, f"unreadable structure: {exc}") from None


def _check_model(data: bytes, source: str) -> ModelStructure:
    model = _flatbuffer.Table.root(data)
    version = model.scalar(_Model.VERSION, 4)
    if version != SCHEMA_VERSION:
        raise _fail(source, f"schema version {version}, expected {SCHEMA_VERSION}")
    buffers = model.tables(_Model.BUFFERS)
    opcodes = model.tables(_Model.OPERATOR_CODES)
    subgraphs = model.tables(_Model.SUBGRAPHS)
    if not subgraphs:
        raise _fail(source, "no subgraphs")

    for i, buffer in enumerate(buffers):
        offset = buffer.scalar(_Buffer.OFFSET, 8)
        size = buffer.scalar(_Buffer.SIZE, 8)
        if offset > 1 and offset + size > len(data):
            raise _fail(source, f"buffer {i} points past the end of the file")
    for i, opcode in enumerate(opcodes):
        code = max(opcode.scalar(_OperatorCode.DEPRECATED_BUILTIN_CODE, 1, fmt="<b"),
                   opcode.scalar(_OperatorCode.BUILTIN_CODE, 4, fmt="<i"))
        if not 0 <= code <= _MAX_BUILTIN_CODE:
            raise _fail(source, f"operator code {i} has builtin code {code}")
        if opcode.scalar(_OperatorCode.VERSION, 4, default=1, fmt="<i") < 1:
            raise _fail(source, f"operator code {i} has an invalid version")

    builtin_codes = [
        max(op.scalar(_OperatorCode.DEPRECATED_BUILTIN_CODE, 1, fmt="<b"),
            op.scalar(_OperatorCode.BUILTIN_CODE, 4, fmt="<i"))
        for op in opcodes
    ]
    buffer_sizes = []
    for buffer in buffers:
        span = buffer.bytes_span(_Buffer.DATA)
        buffer_sizes.append(span[1] if span else buffer.scalar(_Buffer.SIZE, 8))
    specs = [_check_subgraph(sg, n, buffer_sizes, builtin_codes, source) for n, sg in enumerate(subgraphs)]

    for sig in model.tables(_Model.SIGNATURE_DEFS):
        index = sig.scalar(_SignatureDef.SUBGRAPH_INDEX, 4)
        if index >= len(subgraphs):
            raise _fail(source, f"signature refers to missing subgraph {index}")
        count = len(subgraphs[index].tables(_SubGraph.TENSORS))
        for tensor_map in sig.tables(_SignatureDef.INPUTS) + sig.tables(_SignatureDef.OUTPUTS):
            if tensor_map.scalar(_TensorMap.TENSOR_INDEX, 4) >= count:
                raise _fail(source, "signature refers to a missing tensor")

    metadata = {}
    for entry in model.tables(_Model.METADATA):
        index = entry.scalar(_Metadata.BUFFER, 4)
        if index >= len(buffers):
            raise _fail(source, f"metadata refers to missing buffer {index}")
        span = buffers[index].bytes_span(_Buffer.DATA)
        name = entry.string(_Metadata.NAME) or ""
        metadata[name] = bytes(data[span[0] : span[0] + span[1]]) if span else b""

    inputs, outputs = specs[0]
    return ModelStructure(inputs, outputs, metadata, model.string(_Model.DESCRIPTION))


def _check_subgraph(sg, n, buffer_sizes, builtin_codes, source):
    tensors = sg.tables(_SubGraph.TENSORS)
    specs = {}
    activation_bytes = 0
    for t, tensor in enumerate(tensors):
        where = f"subgraph {n} tensor {t}"
        type_code = tensor.scalar(_Tensor.TYPE, 1, fmt="<b")
        if type_code not in TENSOR_TYPES:
            raise _fail(source, f"{where} has unknown type {type_code}")
        buffer = tensor.scalar(_Tensor.BUFFER, 4)
        if buffer >= max(len(buffer_sizes), 1):
            raise _fail(source, f"{where} refers to a missing buffer")
        shape = tensor.vector(_Tensor.SHAPE, "i")
        elements = math.prod(shape)
        if any(d < 0 for d in shape) or elements > MAX_TENSOR_ELEMENTS:
            raise _fail(source, f"{where} has an invalid shape {list(shape)}")
        item_size = _ITEM_SIZES.get(TENSOR_TYPES[type_code])
        data_size = buffer_sizes[buffer] if buffer < len(buffer_sizes) else 0
        if data_size and item_size and not tensor.has(_Tensor.SPARSITY) and data_size != elements * item_size:
            raise _fail(source, f"{where} has shape {list(shape)} but {data_size} bytes of data")
        if not data_size:
            activation_bytes += elements * (item_size or 8)
            if activation_bytes > MAX_ACTIVATION_BYTES:
                raise _fail(source, f"subgraph {n} tensors would need over {MAX_ACTIVATION_BYTES} bytes")
        signature = tensor.vector(_Tensor.SHAPE_SIGNATURE, "i")
        if signature and (len(signature) != len(shape) or any(d < -1 for d in signature)):
            raise _fail(source, f"{where} has an invalid shape signature {list(signature)}")
        scales, zero_points = _check_quantization(tensor.table(_Tensor.QUANTIZATION), shape, where, source,
                                                  TENSOR_TYPES[type_code])
        specs[t] = (tensor, shape, signature, type_code, scales, zero_points)

    def spec(t):
        tensor, shape, signature, type_code, scales, zero_points = specs[t]
        return TensorSpec(t, tensor.string(_Tensor.NAME) or "", tuple(shape), tuple(signature or shape),
                          TENSOR_TYPES[type_code], scales, zero_points)

    io = []
    for slot, what in ((_SubGraph.INPUTS, "input"), (_SubGraph.OUTPUTS, "output")):
        indices = sg.vector(slot, "i")
        if any(not 0 <= t < len(tensors) for t in indices):
            raise _fail(source, f"subgraph {n} {what} refers to a missing tensor")
        io.append(tuple(spec(t) for t in indices))
    # Operators run in file order: each may only read tensors that exist by then (graph
    # inputs, constants, variables, earlier outputs) and may only write fresh tensors.
    subgraph_inputs = set(sg.vector(_SubGraph.INPUTS, "i"))
    available = set(subgraph_inputs)
    for t, (tensor, shape, _, _, _, _) in specs.items():
        buffer = tensor.scalar(_Tensor.BUFFER, 4)
        if (buffer < len(buffer_sizes) and buffer_sizes[buffer]) or tensor.scalar(_Tensor.IS_VARIABLE, 1) \
                or math.prod(shape) == 0:
            available.add(t)
    constants = set(available) - subgraph_inputs
    # Declared shapes bound strides and windows, except along dimensions the signature leaves dynamic.
    shapes = {t: tuple(d if not sig or sig[i] != -1 else 0 for i, d in enumerate(shape))
              for t, (_, shape, sig, _, _, _) in specs.items()}
    for o, op in enumerate(sg.tables(_SubGraph.OPERATORS)):
        opcode = op.scalar(_Operator.OPCODE_INDEX, 4)
        if opcode >= len(builtin_codes):
            raise _fail(source, f"subgraph {n} operator {o} refers to a missing operator code")
        for slot in (_Operator.INPUTS, _Operator.OUTPUTS, _Operator.INTERMEDIATES):
            if any(not -1 <= t < len(tensors) for t in op.vector(slot, "i")):
                raise _fail(source, f"subgraph {n} operator {o} refers to a missing tensor")
        arity = _ARITY.get(builtin_codes[opcode])
        if arity is not None:
            inputs, outputs = op.vector(_Operator.INPUTS, "i"), op.vector(_Operator.OUTPUTS, "i")
            min_in, max_in, min_out, max_out, optional = arity
            name = _tflite_layout.BUILTIN_OPERATORS[builtin_codes[opcode]]
            if not (min_in <= len(inputs) <= max_in and min_out <= len(outputs) <= max_out):
                raise _fail(source, f"subgraph {n} operator {o} ({name}) has {len(inputs)} inputs and "
                                    f"{len(outputs)} outputs")
            if any(t < 0 for i, t in enumerate(inputs) if i not in optional) or any(t < 0 for t in outputs):
                raise _fail(source, f"subgraph {n} operator {o} ({name}) lacks a required tensor")
        _check_options(op, builtin_codes[opcode], f"subgraph {n} operator {o}", source, shapes)
        for t in op.vector(_Operator.INPUTS, "i"):
            if t >= 0 and t not in available:
                raise _fail(source, f"subgraph {n} operator {o} reads tensor {t} before any operator writes it")
        for t in op.vector(_Operator.OUTPUTS, "i"):
            if t in subgraph_inputs or t in constants:
                raise _fail(source, f"subgraph {n} operator {o} writes into input or constant tensor {t}")
            if t >= 0 and t in available:
                raise _fail(source, f"subgraph {n} operator {o} writes tensor {t}, already written")
            available.add(t)
    return io


def _check_options(op, builtin_code, where, source, shapes):
    name = _tflite_layout.BUILTIN_OPERATORS.get(builtin_code)
    if name not in _POSITIVE_OPTIONS:
        return
    member, padding_slot, activation_slot, fields = _POSITIVE_OPTIONS[name]
    options = op.table(_Operator.BUILTIN_OPTIONS)
    if op.scalar(_Operator.BUILTIN_OPTIONS_TYPE, 1) != _OPTION_CODES[member] or options is None:
        raise _fail(source, f"{where} ({name}) lacks its {member}")
    if options.scalar(padding_slot, 1, fmt="<b") not in _PADDINGS:
        raise _fail(source, f"{where} ({name}) has an unknown padding")
    if options.scalar(activation_slot, 1, fmt="<b") not in _ACTIVATIONS:
        raise _fail(source, f"{where} ({name}) has an unknown fused activation")
    inputs = op.vector(_Operator.INPUTS, "i")
    image = shapes.get(inputs[0], ()) if inputs else ()
    for slot, (field, default, axis) in fields.items():
        value = options.scalar(slot, 4, default=default, fmt="<i")
        limit = image[axis] if axis is not None and len(image) == 4 and image[axis] > 0 else _MAX_WINDOW
        if not 1 <= value <= max(limit, 1) or value > _MAX_WINDOW:
            raise _fail(source, f"{where} ({name}) has {field} {value}")


_ZERO_POINT_RANGES = {"uint8": (0, 255), "int8": (-128, 127), "int16": (-32768, 32767),
                      "uint16": (0, 65535), "int32": (-2**31, 2**31 - 1)}


def _check_quantization(quant, shape, where, source, dtype):
    if quant is None:
        return (), ()
    scales = quant.vector(_Quant.SCALE, "f")
    zero_points = quant.vector(_Quant.ZERO_POINT, "q")
    if not scales:
        return (), ()
    if len(zero_points) != len(scales):
        raise _fail(source, f"{where} has {len(scales)} scales but {len(zero_points)} zero points")
    if not all(math.isfinite(s) for s in scales):
        raise _fail(source, f"{where} has a non-finite quantisation scale")
    if dtype not in ("float32", "float16", "float64"):
        if not all(s >= _SMALLEST_NORMAL_FLOAT32 for s in scales):
            raise _fail(source, f"{where} has a zero, negative or denormal quantisation scale")
        low, high = _ZERO_POINT_RANGES.get(dtype, (-2**31, 2**31 - 1))
        if not all(low <= z <= high for z in zero_points):
            raise _fail(source, f"{where} has a zero point outside the {dtype} range")
    if len(scales) > 1:
        dim = quant.scalar(_Quant.QUANTIZED_DIMENSION, 4, fmt="<i")
        if not 0 <= dim < len(shape) or shape[dim] != len(scales):
            raise _fail(source, f"{where} has per-channel quantisation that does not match its shape")
    return tuple(scales), tuple(zero_points)
