"""What torch.nn's recurrent layers offer beyond forward, for code written against them:
the flat-weight attributes (``all_weights``, ``_flat_weights``, ``_flat_weights_names``,
``_all_weights``) and a clear refusal of TorchScript.

A layer's weights are its parameters under torch.nn's flat names, or — once
``torch.nn.utils.parametrize`` (weight_norm, spectral_norm, orthogonal) or
``torch.nn.utils.prune`` has taken one over — the tensor the parametrization computes;
``_flat_weights`` reads each once, and the layer binds them into its cells per forward.
"""

from __future__ import annotations

from torch import Tensor, nn


class TorchScriptError(RuntimeError):
    """torch.jit.script of an rnnkit layer: it is Python; torch.compile and torch.export work."""


class TorchNNAttributes:
    """Mixed into rnnkit.layers.base.RecurrentLayer, which owns ``_bindings``: one
    (cell or submodule, attribute, flat name) per weight, in torch.nn's flat order."""

    _bindings: list[tuple[nn.Module, str, str]]
    _parameters: dict[str, nn.Parameter | None]

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
