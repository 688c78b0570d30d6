"""Export: recurrent layers and task models as ONNX graphs, checked with onnxruntime.

Needs the ``export`` extra (``pip install 'rnnkit[export]'``: onnx, onnxruntime).
"""

from rnnkit.export.graph import ExportError, Graph, Port
from rnnkit.export.onnx import to_onnx

__all__ = ["ExportError", "Graph", "Port", "to_onnx"]
