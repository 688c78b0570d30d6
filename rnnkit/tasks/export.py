"""`rnnkit export RUN --format onnx`: a trained run's model as ONNX graphs.

Writes the graphs of the run's model (rnnkit.export.models: a step graph for language
models, whole-sequence graphs for classifiers and forecasters, an encoder and a decoder
step for seq2seq and captioning), each run by onnxruntime at other sizes than traced and
matched against PyTorch, and ``export.json`` (the manifest) beside the run's
``config.json`` and artefacts (vocabulary, scaler, ...) that a host needs to prepare
inputs and read outputs. The output directory appears complete or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from rnnkit.config import Config
from rnnkit.data.optional import optional_import
from rnnkit.tasks.contract import Console
from rnnkit.tasks.lifecycle import load
from rnnkit.tasks.registry import info, register_verb
from rnnkit.training.rundir import read_json


@dataclass
class ExportOptions(Config):
    """Which run, in which format, to where."""

    run: str  # run directory
    format: Literal["onnx"] = "onnx"  # the graph format
    out: str | None = None  # output directory (None: RUN/onnx); must not exist or be empty
    verify: bool = True  # run every graph with onnxruntime at other sizes and compare


def export_run(options: ExportOptions) -> dict[str, Any]:
    """Export the run's best weights; returns the manifest (with ``out``)."""
    for module in ("onnx", "onnxruntime"):
        optional_import(module, "export", "rnnkit export")
    from rnnkit.export import to_onnx

    exporter = {"onnx": to_onnx}[options.format]  # the one format so far

    loaded = load(options.run)
    out = Path(options.out or Path(options.run) / "onnx")
    root = loaded.rundir.root
    skip = {"result.json", "baselines.json"}  # what the run measured, not what a host needs
    attach = {f.stem: read_json(f) for f in sorted(root.glob("*.json")) if f.name not in skip}
    extra = {"task": info(loaded.task).name, "model": type(loaded.model).__name__}
    manifest = exporter(loaded.model, out, verify=options.verify, extra=extra, attach=attach)
    return {**manifest, "out": str(out)}


def run_export(console: Console, *, options: ExportOptions, seed: int = 0) -> dict[str, Any]:
    """export a trained run's model as ONNX graphs

    Write the model of a trained run as ONNX graphs (dynamic batch and length), check
    each with onnxruntime against PyTorch, and write export.json and the run's
    vocabulary or scaler beside them. Needs the export extra: pip install 'rnnkit[export]'.
    """
    result = export_run(options)
    for graph in result["graphs"].values():
        checked = graph["checked"]
        worst = max((c["max_abs_error"] for c in checked), default=None)
        note = f"onnxruntime matches PyTorch to {worst:.1e}" if checked else "not verified"
        console.say(f"{result['out']}/{graph['file']}: {graph['about']} ({note})")
    console.say(f"{result['out']}/export.json: inputs, outputs and shapes of every graph")
    return result


register_verb(("export",), run_export, ExportOptions, "export")
