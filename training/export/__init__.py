"""Export stage: Keras model -> verified TFLite files with standard metadata, a model card, a release.

    quantization.py   QuantizationConfig.for_float32() / for_float16() / for_int8(data) / for_dynamic()
    exporter.py       export_model(model, path, quantization, info): convert + metadata, atomically;
                      set_confident_score(exported, level): the file's confident score into its metadata
    calibration.py    seeded stratified image samples, prepared with the SDK's preprocessing
    verify.py         verify_model(...): the file through flowerlite vs the Keras model, metadata round-trip
    evaluate.py       evaluate_model(...): top-1 of a .tflite file through flowerlite; evaluate_photo_set(...):
                      its real-world figures and confident level on a photo set named by its labels
    model_card.py     ModelCard -> MODEL_CARD.md
    run.py            a finished run directory; select_best_run (on val only)
    options.py        ExportOptions: how a run is exported
    variants.py       convert_variants(...): each variant converted, given its confident level, verified
    export_card.py    export_card(...): the ModelCard of an export
    report.py         ExportReport: what an export wrote and measured; report_json
    release.py        export_run / release: the whole chain into models/
"""

from training.export.errors import ExportError, QuantizationLossError, RunError, VerificationError
from training.export.exporter import ExportedModel, ModelInfo, export_model
from training.export.quantization import QuantizationConfig

__all__ = [
    "ExportError",
    "QuantizationLossError",
    "RunError",
    "VerificationError",
    "ExportedModel",
    "ModelInfo",
    "export_model",
    "QuantizationConfig",
]
