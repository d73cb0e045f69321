"""Backbones: the registry (`registry`) and the modules that declare its entries.

Importing this package registers every built-in backbone, the timm way: `registry` holds the
`@register_backbone` decorator and never imports its entries; `lite` (EfficientNet-Lite) and
`keras_apps` (ResNet50, VGG16, InceptionV3) declare theirs with it, and are imported here.
"""

# Imported for their @register_backbone declarations, EfficientNet-Lite first (the registry's order).
from training.backbones import lite  # noqa: F401  isort:skip
from training.backbones import keras_apps  # noqa: F401  isort:skip
from training.backbones.registry import BACKBONES, BackboneSpec, get_backbone, register_backbone

__all__ = ["BACKBONES", "BackboneSpec", "get_backbone", "register_backbone"]
