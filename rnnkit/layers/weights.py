"""What torch.nn's recurrent layers offer beyond forward, for code written against them:
their attributes (``hidden_size``, ``num_layers``, a settable ``dropout``, ...) and repr,
the flat-weight attributes (``all_weights``, ``_flat_weights``, ``_flat_weights_names``,
``_all_weights``) and a clear refusal of TorchScript.

A layer's weights are its parameters under torch.nn's flat names, or — once
``torch.nn.utils.parametrize`` (weight_norm, spectral_norm, orthogonal) or
``torch.nn.utils.prune`` has taken one over — the tensor the parametrization computes;
``_flat_weights`` reads each once, and the layer binds them into its cells per forward.
"""

from __future__ import annotations

from torch import Tensor, nn

from rnnkit.layers.config import RecurrentConfig
from rnnkit.layers.registry import CELLS


class TorchScriptError(RuntimeError):
    """torch.jit.script of an rnnkit layer: it is Python; torch.compile and torch.export work."""


class TorchNNAttributes:
    """Mixed into rnnkit.layers.base.RecurrentLayer, which owns ``config`` and
    ``_bindings``: one (cell or submodule, attribute, flat name) per weight, in torch.nn's
    flat order."""

    config: RecurrentConfig
    _bindings: list[tuple[nn.Module, str, str]]
    _parameters: dict[str, nn.Parameter | None]

    # torch.nn's attribute names, read from the config
    input_size = property(lambda self: self.config.input_size)
    hidden_size = property(lambda self: self.config.hidden_size)
    num_layers = property(lambda self: self.config.num_layers)
    bias = property(lambda self: self.config.bias)
    batch_first = property(lambda self: self.config.batch_first)
    bidirectional = property(lambda self: self.config.bidirectional)
    proj_size = property(lambda self: self.config.proj_size)
    backend = property(lambda self: self.config.backend)

    @property
    def dropout(self) -> float:
        """Dropout between stacked layers in training; settable, as in torch.nn."""
        return self.config.dropout

    @dropout.setter
    def dropout(self, p: float) -> None:
        self.config = self.config.replace(dropout=p)  # validated

    def flatten_parameters(self) -> None:
        """Accepted for torch.nn compatibility; parameters need no flattening here."""

    def extra_repr(self) -> str:
        """torch.nn's repr (the arguments away from their defaults), then the cell's options."""
        c, defaults = self.config, RecurrentConfig(self.config.cell, 1, 1)
        s = f"{c.input_size}, {c.hidden_size}"
        names = ("num_layers", "bias", "batch_first", "dropout", "bidirectional", "proj_size")
        for name in (*names, "backend"):
            if getattr(c, name) != getattr(defaults, name):
                s += f", {name}={getattr(c, name)!r}"
        for name in CELLS[c.cell].options:
            s += f", {name}={getattr(c.cell_options, name)!r}"
        return s

    @property
    def _flat_weights_names(self) -> list[str]:
        """Every weight's name, in torch.nn's flat order (layer, direction, then
        w_ih, w_hh, b_ih, b_hh, w_hr, then rnnkit's extras)."""
        return [flat for *_, flat in self._bindings]

    @property
    def _all_weights(self) -> list[list[str]]:
        """The names of each (layer, direction)'s weights, as torch.nn lists them."""
        groups: dict[str, list[str]] = {}
        for *_, flat in self._bindings:
            suffix = flat[flat.rindex("_l") :]  # "_l0", "_l1_reverse", ...
            groups.setdefault(suffix, []).append(flat)
        return list(groups.values())

    @property
    def _flat_weights(self) -> list[Tensor]:
        """Every weight's current tensor in that order; a parametrized one computed."""
        return [
            self._parameters[flat] if flat in self._parameters else getattr(self, flat)
            for *_, flat in self._bindings
        ]

    @property
    def all_weights(self) -> list[list[Tensor]]:
        """Each (layer, direction)'s weights, as torch.nn's ``all_weights``."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def _like(self) -> Tensor:
        """A tensor with the weights' dtype and device, without computing any weight."""
        return next(self.parameters())

    def __prepare_scriptable__(self) -> None:
        """torch.jit.script calls this before compiling; rnnkit layers are Python."""
        raise TorchScriptError(
            f"rnnkit.{type(self).__name__} cannot be compiled by TorchScript "
            "(torch.jit.script); use torch.compile(model) or torch.export.export(model, args)"
        )
