"""The full ONNX export matrix: every layer configuration and every task model, each
written, run by onnxruntime at untraced sizes and compared with PyTorch.

    python -m benchmarks.onnx_export            # prints one row per export; exit 1 on a mismatch

Layers: RNN (tanh, relu), GRU and LSTM x uni/bidirectional x 1-3 layers x batch_first
x with/without lengths x with/without an initial state, as whole-sequence graphs; the
cells ONNX has no operator for (layer norm, peepholes, the Cho GRU, minGRU, minLSTM,
the projected LSTM) as step graphs and as whole sequences (an ONNX Loop over the step).
Models: each task model in its main variants, with a custom cell too. The suite
(tests/export) runs a small part of this matrix.
"""

from __future__ import annotations

import itertools
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

import rnnkit
from rnnkit.export import to_onnx
from rnnkit.layers import CellOptions
from rnnkit.models.captioner import CaptionConfig, Captioner
from rnnkit.models.classifier import Classifier, ClassifierConfig
from rnnkit.models.conditional import ConditionalConfig, ConditionalLM
from rnnkit.models.forecaster import ForecasterConfig, RNNForecaster
from rnnkit.models.lm import LanguageModel, LMConfig
from rnnkit.models.regressor import NextStepRegressor, RegressorConfig
from rnnkit.models.seq2seq import Seq2Seq, Seq2SeqConfig
from rnnkit.models.sequence import ManyToMany, ManyToOne, SequenceConfig


def layer_cases() -> list[tuple[str, Callable[[], torch.nn.Module], dict]]:
    cases = []
    kinds = {
        "rnn": lambda **k: rnnkit.RNN(3, 6, **k),
        "rnn-relu": lambda **k: rnnkit.RNN(3, 6, nonlinearity="relu", **k),
        "gru": lambda **k: rnnkit.GRU(3, 6, **k),
        "lstm": lambda **k: rnnkit.LSTM(3, 6, **k),
    }
    for (name, make), L, bi, bf, lengths, state in itertools.product(
        kinds.items(), (1, 2, 3), (False, True), (False, True), (False, True), (False, True)
    ):
        label = f"{name} L={L}{' bi' if bi else ''}{' bf' if bf else ''}"
        label += f"{' lengths' if lengths else ''}{' h0' if state else ''}"
        build = lambda make=make, L=L, bi=bi, bf=bf: make(  # noqa: E731
            num_layers=L, bidirectional=bi, batch_first=bf
        )
        cases.append((label, build, {"lengths": lengths, "state": state}))
    custom = {
        "lstm layer_norm": lambda L: rnnkit.LSTM(3, 6, L, layer_norm=True),
        "lstm peephole": lambda L: rnnkit.LSTM(3, 6, L, peephole=True),
        "lstm proj_size=3": lambda L: rnnkit.LSTM(3, 6, L, proj_size=3),
        "gru reset_after=False": lambda L: rnnkit.GRU(3, 6, L, reset_after=False),
        "gru layer_norm": lambda L: rnnkit.GRU(3, 6, L, layer_norm=True),
        "rnn layer_norm": lambda L: rnnkit.RNN(3, 6, L, layer_norm=True),
        "mingru": lambda L: rnnkit.MinGRU(3, 6, L),
        "minlstm": lambda L: rnnkit.MinLSTM(3, 6, L),
        "lstm (step)": lambda L: rnnkit.LSTM(3, 6, L),
    }
    for (name, make), L in itertools.product(custom.items(), (1, 2, 3)):
        cases.append((f"{name} L={L} step", lambda make=make, L=L: make(L), {"step": True}))
    loops = {  # whole sequences as an ONNX Loop over the cell's step
        "lstm layer_norm": lambda **k: rnnkit.LSTM(3, 6, layer_norm=True, **k),
        "lstm peephole": lambda **k: rnnkit.LSTM(3, 6, peephole=True, **k),
        "lstm proj_size=3": lambda **k: rnnkit.LSTM(3, 6, proj_size=3, **k),
        "gru reset_after=False": lambda **k: rnnkit.GRU(3, 6, reset_after=False, **k),
        "gru layer_norm": lambda **k: rnnkit.GRU(3, 6, layer_norm=True, **k),
        "rnn layer_norm": lambda **k: rnnkit.RNN(3, 6, layer_norm=True, **k),
        "mingru": lambda **k: rnnkit.MinGRU(3, 6, **k),
        "minlstm": lambda **k: rnnkit.MinLSTM(3, 6, **k),
    }
    for (name, make), L, bi, lengths in itertools.product(
        loops.items(), (1, 2), (False, True), (False, True)
    ):
        label = f"{name} L={L}{' bi' if bi else ''}{' lengths' if lengths else ''} loop"
        build = lambda make=make, L=L, bi=bi: make(num_layers=L, bidirectional=bi)  # noqa: E731
        cases.append((label, build, {"lengths": lengths}))
    return cases


def model_cases() -> list[tuple[str, Callable[[], torch.nn.Module], dict]]:
    H = {"hidden_size": 8}
    makers: dict[str, Callable[[], torch.nn.Module]] = {}
    for cell in ("rnn", "gru", "lstm", "mingru", "minlstm"):
        makers[f"lm {cell} 2 layers"] = lambda c=cell: LanguageModel(
            LMConfig(vocab_size=11, cell=c, num_layers=2, **H)
        )
    makers["lm lstm layer_norm tied backward"] = lambda: LanguageModel(
        LMConfig(
            vocab_size=11,
            embed_size=6,
            tie_weights=True,
            backward_lm=True,
            cell_options=CellOptions(layer_norm=True),
            **H,
        )
    )
    for cell in ("gru", "lstm"):
        makers[f"names {cell}"] = lambda c=cell: ConditionalLM(
            ConditionalConfig(vocab_size=9, num_classes=3, cell=c, num_layers=2, **H)
        )
    for pool, bi, cell in itertools.product(
        ("last", "mean", "max", "attention"), (False, True), ("rnn", "gru", "lstm")
    ):
        makers[f"classify tokens {cell} {pool}{' bi' if bi else ''}"] = (
            lambda p=pool, b=bi, c=cell: Classifier(
                ClassifierConfig(vocab_size=20, num_classes=3, pool=p, bidirectional=b, cell=c, **H)
            )
        )
    for cell, options in (("lstm", {"peephole": True}), ("gru", {"layer_norm": True})):
        makers[f"classify {cell} {next(iter(options))}"] = lambda c=cell, o=options: Classifier(
            ClassifierConfig(input_size=4, cell=c, cell_options=CellOptions(**o), **H)
        )
    makers["forecast recursive mingru"] = lambda: RNNForecaster(
        ForecasterConfig(cell="mingru", input_size=3, future_size=2, horizon=4, **H)
    )
    makers["seq2seq minlstm bi"] = lambda: Seq2Seq(
        Seq2SeqConfig(source_vocab=13, target_vocab=10, embed_size=6, cell="minlstm", **H)
    )
    makers["classify features lstm"] = lambda: Classifier(
        ClassifierConfig(input_size=4, embed_size=0, num_layers=2, **H)
    )
    makers["adding"] = lambda: ManyToOne(SequenceConfig(input_size=2, **H))
    makers["adding bi"] = lambda: ManyToOne(SequenceConfig(input_size=2, bidirectional=True, **H))
    makers["copy"] = lambda: ManyToMany(
        SequenceConfig(vocab_size=6, output_size=6, loss="xent", **H)
    )
    makers["demo"] = lambda: NextStepRegressor(RegressorConfig(**H))
    for strategy, dist, cell in itertools.product(
        ("recursive", "direct", "seq2seq"), ("point", "gaussian"), ("gru", "lstm")
    ):
        makers[f"forecast {strategy} {dist} {cell}"] = lambda s=strategy, d=dist, c=cell: (
            RNNForecaster(
                ForecasterConfig(
                    strategy=s, distribution=d, cell=c, input_size=3, future_size=2, horizon=4, **H
                )
            )
        )
    for attention, feeding, cell in itertools.product(
        ("none", "dot", "general", "additive"), (True, False), ("gru", "lstm")
    ):
        makers[f"seq2seq {cell} {attention}{' feeding' if feeding else ''}"] = (
            lambda a=attention, f=feeding, c=cell: Seq2Seq(
                Seq2SeqConfig(
                    source_vocab=13,
                    target_vocab=10,
                    embed_size=6,
                    attention=a,
                    input_feeding=f,
                    cell=c,
                    num_layers=2,
                    **H,
                )
            )
        )
    for encoder, attention in itertools.product(("cnn", "mlp"), ("none", "general")):
        makers[f"caption {encoder} {attention}"] = lambda e=encoder, a=attention: Captioner(
            CaptionConfig(
                target_vocab=10, embed_size=6, channels=4, features=16, encoder=e, attention=a, **H
            )
        )
    return [(name, make, {}) for name, make in makers.items()]


def main() -> int:
    torch.manual_seed(0)
    failures = 0
    rows = 0
    with tempfile.TemporaryDirectory() as tmp:
        for kind, cases in (("layer", layer_cases()), ("model", model_cases())):
            for k, (label, make, options) in enumerate(cases):
                out = Path(tmp) / (f"{kind}{k}.onnx" if kind == "layer" else f"{kind}{k}")
                start = time.perf_counter()
                try:
                    manifest = to_onnx(make(), out, **options)
                except Exception as e:  # report every failure, then exit 1
                    failures += 1
                    print(f"FAIL  {kind:5s} {label}: {e}")
                    continue
                worst = max(
                    c["max_abs_error"] for g in manifest["graphs"].values() for c in g["checked"]
                )
                graphs = ",".join(manifest["graphs"])
                took = time.perf_counter() - start
                print(
                    f"ok    {kind:5s} {label:42s} {graphs:20s} max|err| {worst:.1e} {took:5.2f} s"
                )
                rows += 1
    print(f"{rows} exports matched PyTorch within 1e-5 at untraced sizes; {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
