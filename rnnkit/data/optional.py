"""Optional dependencies: import them where needed, with the extra that installs them."""

from __future__ import annotations

import importlib
from types import ModuleType


def optional_import(module: str, extra: str, purpose: str) -> ModuleType:
    """``module``, or a one-line error saying what needs it and how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise ValueError(f"{purpose} needs {top}: pip install 'rnnkit[{extra}]'") from None
