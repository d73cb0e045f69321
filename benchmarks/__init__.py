"""Benchmarks of flowerlite model variants: size, load time, memory, latency, throughput and accuracy.

Runs with only the SDK's dependencies (numpy, Pillow, a TFLite runtime), plus matplotlib for charts
and tqdm/psutil when installed. Nothing here imports TensorFlow.
"""

from training.benchmark_json import SCHEMA_VERSION  # of benchmark.json, whose schema the build chain owns

__all__ = ["SCHEMA_VERSION"]
