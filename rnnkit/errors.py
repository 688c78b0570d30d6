"""rnnkit's exceptions that are also the type torch.nn raises for the same mistake.

rnnkit's messages name the problem in one line; the class lets code written for torch.nn
catch it as it would torch.nn's error, and rnnkit's own callers as a ValueError.
"""

from __future__ import annotations


class ShapeError(ValueError, RuntimeError):
    """A tensor of the wrong shape, dtype or device for a layer or cell (torch.nn raises
    RuntimeError for these)."""


class ArgumentTypeError(ValueError, TypeError):
    """A constructor argument of the wrong type, e.g. ``hidden_size=2.0`` or ``bias=0``
    (torch.nn raises TypeError for these)."""
