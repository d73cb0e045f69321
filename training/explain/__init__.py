"""Explanations of the trained and deployed models, as PNG panels a person can read.

- `gradcam`: Grad-CAM on a run's Keras model, at the layer the backbone registry declares.
- `cam_tflite`: forward-only class activation maps from a TFLite twin (float32 or int8).
- `head`: the classification head of a Keras classifier (its feature input and final Dense), for both CAMs.
- `deployed`: the deployed TFLite model through the flowerlite SDK (its facts, and crops to its input batch).
- `lime_explainer`: LIME over the deployed TFLite model through the flowerlite SDK.
- `explanation`: one image explained all three ways, for the deployed model's top class.
- `panels`: the PNG panel per image and the grid over test images.
- `command`: `python -m training explain IMAGE... --model M.tflite --keras runs/<run>/model.keras`.
- `errors`: `ExplainError`, rooted at `FlowerliteError`.

Nothing is imported here, so `import training.explain` stays cheap (no TensorFlow, no lime).
"""
