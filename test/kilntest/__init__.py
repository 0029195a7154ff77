"""Helpers shared by Kiln's Python test and benchmark scripts: reading and
writing serialized ONNX tensors (tensorproto), walking ONNX's backend test
data (onnxtests), compiling and running models with kilnc (kilnc) and
comparing outputs with references (compare).

The scripts import it as a package: ctest, lit and bench/ put test/ on
PYTHONPATH.
"""
