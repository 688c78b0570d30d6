"""Gate traces: what each gate and state did at every step, as heatmaps and an HTML page.

The recurrent layer runs through the reference runner's capture, recording every
step's gate activations (LSTM input/forget/output and candidate, GRU reset/update and
candidate) and states. The page colours each input step by a chosen unit's value.
"""

from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from torch import Tensor

from rnnkit.analysis.plots import plot_heatmaps
from rnnkit.layers.base import RecurrentLayer
from rnnkit.training.rundir import atomic_write

SIGNED = ("h", "c", "g", "n")  # traces in [-1, 1] (or unbounded); gates are in [0, 1]
ORDER = ("f", "i", "o", "g", "z", "r", "n", "c", "h")  # display order


@dataclass
class GateTrace:
    """One layer-direction's trace for a single sequence: name -> (H, T) array."""

    name: str  # "l0", "l1_reverse", ...
    cell: str  # "rnn" | "lstm" | "gru"
    values: dict[str, np.ndarray]

    def default_unit(self) -> int:
        """The unit whose memory moves most: largest variance of c (LSTM) or h over time."""
        state = self.values["c" if "c" in self.values else "h"]
        return int(state.var(axis=1).argmax())


def record(
    layer: RecurrentLayer, rnn_input: Tensor, which: str = "l0", *, hx: Any = None
) -> GateTrace:
    """Capture every step of ``layer`` on ``rnn_input`` (1, T, I) (batch_first) or (T, 1, I),
    from the initial state ``hx`` (None: zeros)."""
    capture = layer.capture(rnn_input, hx)
    if which not in capture.traces:
        raise ValueError(f"no layer {which!r}; this model has {', '.join(capture.traces)}")
    trace = capture.traces[which]
    batch_dim = 0 if layer.batch_first else 1
    values = {k: v.select(batch_dim, 0).T.float().numpy() for k, v in trace.items()}  # (H, T)
    ordered = {k: values[k] for k in ORDER if k in values}
    return GateTrace(which, layer.config.cell, ordered)


def write_report(
    trace: GateTrace, labels: list[str], out: str | Path, *, title: str, unit: int | None = None
) -> tuple[Path, Path]:
    """Write ``out`` (HTML) and a heatmap PNG beside it; returns both paths."""
    out = Path(out)
    if len(labels) != next(iter(trace.values.values())).shape[1]:
        raise ValueError("one label per time step is needed")
    unit = trace.default_unit() if unit is None else unit
    hidden = next(iter(trace.values.values())).shape[0]
    if not 0 <= unit < hidden:
        raise ValueError(f"--unit must be in [0, {hidden - 1}], got {unit}")
    png = plot_heatmaps(trace.values, out.with_suffix(".png"), labels)
    page = render_html(trace, labels, title=title, unit=unit, png=png.read_bytes())
    atomic_write(out, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return out, png


def render_html(trace: GateTrace, labels: list[str], *, title: str, unit: int, png: bytes) -> str:
    data = {k: np.round(v, 3).tolist() for k, v in trace.values.items()}
    first = "c" if "c" in data else "h"
    options = "".join(
        f'<option value="{k}"{" selected" if k == first else ""}>{k}: {DESCRIBE.get(k, k)}</option>'
        for k in data
    )
    spans = "".join(
        f'<span class="t" title="step {t}">{html.escape(s)}</span>' for t, s in enumerate(labels)
    )
    image = base64.b64encode(png).decode()
    return TEMPLATE.format(
        title=html.escape(title),
        options=options,
        spans=spans,
        unit=unit,
        hidden=len(next(iter(data.values()))) - 1,
        data=json.dumps(data),
        signed=json.dumps(list(SIGNED)),
        image=image,
        sep=label_separator(labels),
    )


def label_separator(labels: list[str]) -> str:
    """What goes between the step labels on the page.

    Characters, and text pieces that carry their own spacing (word tokens such as
    " cat"), read as they are; other multi-character labels (series values) get a space.
    """
    if max(map(len, labels)) <= 1 or any(ch.isspace() for label in labels for ch in label):
        return ""
    return " "


DESCRIBE = {
    "i": "input gate",
    "f": "forget gate",
    "o": "output gate",
    "g": "candidate",
    "r": "reset gate",
    "z": "update gate",
    "n": "candidate",
    "c": "cell state",
    "h": "hidden state",
}

TEMPLATE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; max-width: 80em; }}
#text {{ font-family: ui-monospace, monospace; line-height: 1.9; white-space: pre-wrap;
        border: 1px solid #ccc; padding: .6em; }}
.t {{ padding: 1px 0; border-radius: 2px; }}
.legend {{ color: #555; font-size: .9em; }}
img {{ max-width: 100%; margin-top: 1em; }}
</style></head><body>
<h2>{title}</h2>
<p>Trace <select id="trace">{options}</select>
unit <input id="unit" type="number" min="0" max="{hidden}" value="{unit}" style="width:5em">
<input id="slider" type="range" min="0" max="{hidden}" value="{unit}">
<span class="legend" id="legend"></span></p>
<div id="text">{spans}</div>
<p class="legend">Each step is coloured by the chosen unit's value: gates from white (0) to
blue (1); states and candidates red (positive) / blue (negative), scaled to the unit's
largest magnitude. Hover a step for its value.</p>
<img alt="heatmaps of every gate and state" src="data:image/png;base64,{image}">
<script>
const DATA = {data}, SIGNED = {signed}, SEP = "{sep}";
const spans = document.querySelectorAll("#text .t");
spans.forEach((s, i) => {{ if (SEP && i < spans.length - 1) s.after(SEP); }});
function paint() {{
  const name = document.getElementById("trace").value;
  const unit = Math.max(0, Math.min({hidden}, +document.getElementById("unit").value || 0));
  document.getElementById("slider").value = unit;
  const row = DATA[name][unit], signed = SIGNED.includes(name);
  const scale = signed ? Math.max(1e-6, ...row.map(Math.abs)) : 1;
  spans.forEach((s, t) => {{
    const v = row[t] / scale, a = Math.min(1, Math.abs(v));
    s.style.background = signed ? (v >= 0 ? `rgba(214,39,40,${{a}})` : `rgba(31,119,180,${{a}})`)
                                : `rgba(31,119,180,${{a}})`;
    s.title = `step ${{t}}: ${{name}}[${{unit}}] = ${{row[t]}}`;
  }});
  document.getElementById("legend").textContent =
    `${{name}}[${{unit}}]: min ${{Math.min(...row)}}, max ${{Math.max(...row)}}`;
}}
document.getElementById("trace").onchange = paint;
document.getElementById("unit").oninput = paint;
document.getElementById("slider").oninput = e => {{
  document.getElementById("unit").value = e.target.value; paint(); }};
paint();
</script></body></html>
"""
