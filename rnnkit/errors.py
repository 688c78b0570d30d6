"""rnnkit's exceptions that are also the type torch.nn raises for the same mistake.

rnnkit's messages name the problem in one line; the class lets code written for torch.nn
catch it as it would torch.nn's error, and rnnkit's own callers as a ValueError.
"""

from __future__ import annotations


class ShapeError(ValueError, RuntimeError):
    """A tensor of the wrong shape, dtype or device for a layer or cell (torch.nn raises
    RuntimeError for these)."""


class ArgumentTypeError(ValueError, TypeError):
    """An argument of the wrong type: a constructor's ``hidden_size=2.0`` or ``bias=0``, or
    a bare tensor where an LSTM needs its ``(h, c)`` tuple (torch.nn raises TypeError)."""


def torch_words(message: str, torch_message: str) -> str:
    """rnnkit's one-line message with torch.nn's for the same mistake after it, so that code
    matching torch.nn's text (``assertRaisesRegex``) keeps working with rnnkit."""
    return f"{message} (torch.nn: {torch_message})"
