"""``to_onnx``: a layer or a task model as ONNX graphs, each checked with onnxruntime.

A layer becomes one file; a task model a directory of graphs (rnnkit.export.models) with
``export.json``, the manifest: every graph's file, inputs and outputs (names, shapes with
their dynamic dimensions, dtypes) and the worst difference from PyTorch onnxruntime
showed at sizes other than the traced ones.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from torch import nn

import rnnkit
from rnnkit.export.graph import OPSET, ExportError, Graph, check, write
from rnnkit.export.layers import layer_graph
from rnnkit.export.models import model_graphs
from rnnkit.layers import RecurrentLayer

FORMAT = "rnnkit-onnx"


def to_onnx(
    module: nn.Module,
    out: str | os.PathLike[str],
    *,
    step: bool = False,
    lengths: bool = True,
    state: bool = True,
    verify: bool = True,
    extra: dict[str, Any] | None = None,
    attach: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Export ``module`` to ONNX at ``out`` and return the manifest.

    A :class:`rnnkit.layers.RecurrentLayer` is written to the file ``out`` (``.onnx``):
    the whole sequence (with ``lengths`` and an initial ``state`` as inputs, if asked), or
    with ``step`` one time step for the host to loop. A task model (language model,
    classifier, forecaster, seq2seq, ...) is written to the directory ``out``: its graphs
    and ``export.json`` (``extra`` adds fields to it; ``attach`` maps names to JSON
    written beside it as ``<name>.json``: a vocabulary, a scaler). With ``verify`` every
    graph is run by onnxruntime at other batch sizes and lengths than traced and must
    match PyTorch within 1e-5 (absolute and relative); a mismatch raises ExportError.
    """
    out, training = Path(out), module.training
    module.eval()  # graphs are of the model at inference: dropout off
    try:
        if isinstance(module, RecurrentLayer):
            graph = layer_graph(module, step=step, lengths=lengths, state=state)
            return _single(graph, out, verify)
        return _directory(model_graphs(module), out, verify, extra or {}, attach or {})
    finally:
        module.train(training)


def _single(graph: Graph, out: Path, verify: bool) -> dict[str, Any]:
    if out.suffix != ".onnx":
        raise ExportError(f"a layer exports to one file: give a path ending in .onnx, not {out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        path = write(graph, Path(tmp) / out.name)
        if verify:
            check(graph, path)
        os.replace(path, out)
    return _manifest([graph], {graph.name: out.name})


def _directory(
    graphs: list[Graph], out: Path, verify: bool, extra: dict[str, Any], attach: dict[str, Any]
) -> dict[str, Any]:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out} exists and is not an empty directory; choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        files = {}
        for graph in graphs:
            path = write(graph, tmp / f"{graph.name}.onnx")
            if verify:
                check(graph, path)
            files[graph.name] = path.name
        for name, data in attach.items():
            (tmp / f"{name}.json").write_text(json.dumps(data, indent=1) + "\n")
        manifest = {**_manifest(graphs, files), **extra}
        if attach:
            manifest["files"] = sorted(f"{name}.json" for name in attach)
        (tmp / "export.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _manifest(graphs: list[Graph], files: dict[str, str]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "rnnkit": rnnkit.__version__,
        "opset": OPSET,
        "graphs": {g.name: g.describe(files[g.name]) for g in graphs},
    }
