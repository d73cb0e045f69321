"""Benchmarks of flowerlite model variants: size, load time, memory, latency, throughput and accuracy.

Runs with only the SDK's dependencies (numpy, Pillow, a TFLite runtime), plus matplotlib for charts
and tqdm/psutil when installed. Nothing here imports TensorFlow.
"""

__all__ = ["SCHEMA_VERSION"]

SCHEMA_VERSION = 1  # of benchmark.json; readers ignore fields they do not know
