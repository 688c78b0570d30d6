"""Validated configuration dataclasses: the base every rnnkit config derives from.

A config is a ``@dataclass`` subclassing :class:`Config`, with a comment after every
field (the comment is its documentation and the help text of its command-line flag)::

    @dataclass
    class LMConfig(Config):
        hidden_size: int = 512  # H: units per layer

On construction each field is checked against its annotation (``int``, ``float``,
``str``, ``bool``, ``X | None``, ``Literal[...]``, ``tuple[X, ...]``, nested configs)
and then :meth:`Config.validate` checks the ranges. Every error is a ``ValueError``
naming ``Class.field``, in one wording (:meth:`Config.message`), e.g. ``LMConfig.dropout
must be a number, got '0.1'`` (a value of the wrong type: an ``rnnkit.ArgumentTypeError``,
also the ``TypeError`` torch.nn raises); the CLI turns ``Class.field`` into the flag that
sets it (rnnkit.cli.flags).

``to_dict`` / ``from_dict`` round-trip through JSON (tuples become lists and back,
nested configs become dicts and back); ``from_dict`` rejects unknown keys by name.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import re
import types
import typing
from functools import cache
from typing import Any, ClassVar, Literal, Union, get_args, get_origin

from rnnkit.errors import ArgumentTypeError

__all__ = [
    "Config",
    "field_docs",
    "first_difference",
    "hints",
    "is_config",
    "is_union",
    "require",
    "untracked",
]


class Config:
    """Base of rnnkit's config dataclasses: type checks, validation, JSON round trip."""

    renamed: ClassVar[dict[str, str]] = {}  # old field name -> new, read by from_dict

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = _coerce(self, f.name, hints(type(self))[f.name], getattr(self, f.name))
            object.__setattr__(self, f.name, value)
        self.validate()

    def validate(self) -> None:
        """Range checks beyond the types; raise ``ValueError`` naming ``Class.field``."""

    def fail(self, name: str, what: str) -> None:
        """Raise the one error format of every config: ``Class.field must be WHAT, got V``."""
        raise ValueError(self.message(name, what, getattr(self, name)))

    def type_error(self, name: str, expected: str, value: Any) -> ValueError:
        """The error for field ``name`` holding a value of the wrong type: an
        ArgumentTypeError (a ValueError, and the TypeError torch.nn raises for it)."""
        return ArgumentTypeError(self.message(name, expected, value))

    def message(self, name: str, what: str, value: Any) -> str:
        """The wording of every config error: ``Class.field must be WHAT, got V``."""
        return f"{type(self).__name__}.{name} must be {what}, got {value!r}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict of every field (nested configs as dicts)."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        """Build from ``to_dict`` output (or an older run's config); unknown keys are errors."""
        data = {cls.renamed.get(k, k): v for k, v in data.items()}
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown {cls.__name__} field(s): {', '.join(unknown)}")
        types_ = hints(cls)
        return cls(**{k: _from_plain(types_[k], v) for k, v in data.items()})

    def replace(self, **changes: Any) -> Any:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


def is_config(tp: Any) -> bool:
    """True for a Config dataclass class."""
    return isinstance(tp, type) and issubclass(tp, Config) and dataclasses.is_dataclass(tp)


def require(config: Config, name: str, ok: bool, what: str) -> None:
    """``config.fail(name, what)`` unless ``ok``."""
    if not ok:
        config.fail(name, what)


def first_difference(
    old: Config, new: Config, *, skip: tuple[str, ...] = ()
) -> tuple[str, Any, Any] | None:
    """The first field that differs, as ("Class.field", old value, new value), or None.

    Nested configs are compared field by field; ``skip`` names fields of ``old``'s
    class (top level) to ignore.
    """
    for f in dataclasses.fields(old):
        if f.name in skip:
            continue
        a, b = getattr(old, f.name), getattr(new, f.name)
        if isinstance(a, Config) and type(a) is type(b):
            found = first_difference(a, b)
            if found:
                return found
        elif _plain(a) != _plain(b):
            return f"{type(old).__name__}.{f.name}", _plain(a), _plain(b)
    return None


@cache
def hints(cls: type) -> dict[str, Any]:
    """The resolved annotations of a dataclass (strings under ``from __future__``)."""
    return typing.get_type_hints(cls)


@cache
def field_docs(cls: type) -> dict[str, str]:
    """Each field's trailing comment in the class source: its documentation."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        for match in re.finditer(r"^\s+(\w+):[^\n#]*#\s*(.+)$", source, flags=re.M):
            docs[match.group(1)] = match.group(2).strip()
    return docs


class untracked:  # noqa: N801 (a context manager, named like contextlib's)
    """Marks the config reads inside a ``with`` block as bookkeeping (printing, comparing,
    choosing defaults), not uses of a setting. It does nothing at run time;
    tests/cli/test_flags.py, which checks that every flag's field is read by the code,
    skips the reads made inside it (and inside Config's own validation, serialisation
    and comparison)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


# -- type checks --------------------------------------------------------------------


def describe(tp: Any) -> str:
    """A type in words: 'an integer', 'None or a number', "one of 'a', 'b'"."""
    origin, args = get_origin(tp), get_args(tp)
    if is_union(tp):
        rest = [a for a in args if a is not type(None)]
        words = " or ".join(describe(a) for a in rest)
        return f"None or {words}" if len(rest) < len(args) else words
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (tuple, list):
        return f"a list of {_plural(args[0] if args else Any)}"
    if origin is dict or tp is dict:
        return "a mapping"
    if is_config(tp):
        return f"a {tp.__name__}"
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


def _plural(tp: Any) -> str:
    return {int: "integers", float: "numbers", str: "strings"}.get(tp, describe(tp))


def is_union(tp: Any) -> bool:
    """True for ``X | Y`` and ``Union[X, Y]`` (``Optional[X]`` included)."""
    return get_origin(tp) is Union or isinstance(tp, types.UnionType)


def _coerce(config: Config, name: str, tp: Any, value: Any) -> Any:
    """``value`` checked against ``tp``; lists become tuples, ints become floats."""
    ok, value = _check(tp, value)
    if not ok:
        bad = _unknown_choice(tp, value)
        if bad is not None:
            choices = ", ".join(map(str, get_args(_item_type(tp))))
            raise ValueError(
                f"{type(config).__name__}.{name}: unknown {name.rstrip('s')} {bad!r} "
                f"(choose from {choices})"
            )
        raise config.type_error(name, describe(tp), value)
    return value


def _item_type(tp: Any) -> Any:
    """X of tuple[X, ...] (or of tuple[X, ...] | None); None for other types."""
    for t in get_args(tp) if is_union(tp) else (tp,):
        if get_origin(t) in (tuple, list) and get_args(t):
            return get_args(t)[0]
    return None


def _unknown_choice(tp: Any, value: Any) -> Any:
    """The first item of a list outside its Literal choices, or None."""
    item = _item_type(tp)
    if get_origin(item) is not Literal or not isinstance(value, (tuple, list)):
        return None
    return next((v for v in value if v not in get_args(item)), None)


def _check(tp: Any, value: Any) -> tuple[bool, Any]:
    if tp is Any:
        return True, value
    if is_union(tp):
        for arg in get_args(tp):
            ok, converted = _check(arg, value)
            if ok:
                return True, converted
        return False, value
    if tp is type(None):
        return value is None, value
    origin, args = get_origin(tp), get_args(tp)
    if origin is Literal:
        return (value in args and not isinstance(value, bool)), value
    if origin in (tuple, list) or tp in (tuple, list):
        if not isinstance(value, (tuple, list)):
            return False, value
        item = args[0] if args else Any
        checked = [_check(item, v) for v in value]
        return all(ok for ok, _ in checked), tuple(v for _, v in checked)
    if origin is dict or tp is dict:
        return isinstance(value, dict), value
    if is_config(tp):
        if isinstance(value, dict):
            return True, tp.from_dict(value)
        return isinstance(value, tp), value
    if tp is bool:
        return isinstance(value, bool), value
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if tp is float:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return number and not math.isnan(value), float(value) if number else value
    if isinstance(tp, type):
        return isinstance(value, tp), value
    return True, value


def _plain(value: Any) -> Any:
    if isinstance(value, Config):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _from_plain(tp: Any, value: Any) -> Any:
    """JSON -> field value: nested configs from dicts (lists become tuples in _check)."""
    if isinstance(value, dict):
        for arg in get_args(tp) if is_union(tp) else (tp,):
            if is_config(arg):
                return arg.from_dict(value)
    return value
