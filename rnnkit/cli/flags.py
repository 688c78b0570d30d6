"""Command-line flags generated from config dataclasses, and errors named by flag.

Every field of a command's configs becomes a flag (nested configs inline their own
fields): its name from the field (``FLAG_NAMES`` renames a few), its type, choices and
default from the annotation and the command's defaults, its help from the field's
comment. A field without a default is a positional argument (or, with
``metadata={"required": True}``, a required flag); a field with a default and
``metadata={"positional": True}`` is a positional that may be left out. Booleans are
switches: ``--x`` for a default of False, ``--no-x`` for a default of True.

The same table maps ``Class.field`` back to its flag, so a config's error
("TrainConfig.lr must be a positive number") reaches the user as
"--lr must be a positive number".
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin

from rnnkit.config import field_docs, hints, is_config, is_union, untracked
from rnnkit.tasks.registry import Command, Group

FLAG_NAMES = {  # field -> flag, where the field's own name would be long
    "hidden_size": "--hidden",
    "num_layers": "--layers",
    "embed_size": "--embed",
    "tie_weights": "--tie",
    "corpus": "--data",
    "n": "-n",
}
ALIASES = {"backward_lm": ("--bidirectional",)}  # older spellings still accepted


@dataclass
class Flag:
    """One generated option: where its value goes and which field it sets."""

    group: Group
    path: str  # dotted field path inside the group's config ("text.corpus")
    owner: str  # the class that declares the field ("TextDataConfig")
    name: str  # "corpus"
    flag: str  # "--data" (or the metavar of a positional)
    dest: str  # argparse destination


@dataclass
class FlagSet:
    """The flags of one command and the field behind each."""

    command: Command
    flags: list[Flag] = field(default_factory=list)

    def field_to_flag(self) -> dict[str, str]:
        table = {f"{f.owner}.{f.name}": f.flag for f in self.flags}
        for group in self.command.groups:
            for name, dest in group.shared.items():
                table[f"{group.config.__name__}.{name}"] = "--" + dest.replace("_", "-")
        return table

    def name_flags(self, message: str) -> str:
        """A message in terms of the command's flags instead of config fields."""
        table = self.field_to_flag()
        return re.sub(
            r"\b([A-Z]\w*)\.(\w+)\b", lambda m: table.get(m.group(0), m.group(0)), message
        )

    def build(self, args: argparse.Namespace) -> dict[str, Any]:
        """Each group's config from the parsed flags: {group key: config}."""
        built = {}
        for group in self.command.groups:
            mine = [f for f in self.flags if f.group is group]
            given = {f.path: getattr(args, f.dest) for f in mine if hasattr(args, f.dest)}
            for name, dest in group.shared.items():
                given[name] = getattr(args, dest)
            defaults = dict(group.defaults)
            if group.preset is not None:
                defaults.update(group.preset(built))
            values = group.merge(defaults, given) if group.merge else {**defaults, **given}
            config = construct(group.config, values)
            check = getattr(config, "check_given", None)
            if check is not None:
                with untracked():
                    check({path.rsplit(".", 1)[-1] for path in given})
            built[group.key] = config
        return built


def add_flags(parser: argparse.ArgumentParser, command: Command) -> FlagSet:
    """Add every group's flags to ``parser``; the FlagSet knows what each one sets."""
    flags = FlagSet(command)
    for group in command.groups:
        section = parser.add_argument_group(group.title)
        for path, owner, f, tp in walk(group.config, group.exclude):
            if path in group.shared:
                continue
            flags.flags.append(_add(section, group, path, owner, f, tp))
    return flags


def walk(
    cls: type, exclude: tuple[str, ...], prefix: str = ""
) -> Iterator[tuple[str, str, Any, Any]]:
    """(dotted path, declaring class, field, type) of every leaf field, nested inlined."""
    types_ = hints(cls)
    for f in dataclasses.fields(cls):
        path = prefix + f.name
        if path in exclude:
            continue
        tp = types_[f.name]
        if is_config(tp):
            yield from walk(tp, exclude, path + ".")
        else:
            yield path, cls.__name__, f, tp


def _add(section: Any, group: Group, path: str, owner: str, f: Any, tp: Any) -> Flag:
    dest = f"{group.key}.{path}"
    doc = field_docs(_declaring(group.config, path)).get(f.name, f.name.replace("_", " "))
    default = group.defaults.get(path, _field_default(group.config, path))
    optional = bool(f.metadata.get("positional"))  # a positional that may be left out
    positional = optional or (default is dataclasses.MISSING and not f.metadata.get("required"))
    required = path in group.required or bool(f.metadata.get("required"))
    kind, choices = _scalar(tp)
    if positional:
        metavar = f.name.upper()
        extra = dict(nargs="?", default=argparse.SUPPRESS) if optional else {}
        section.add_argument(dest, metavar=metavar, type=_parser(tp), help=_help(doc), **extra)
        return Flag(group, path, owner, f.name, metavar, dest)
    name = FLAG_NAMES.get(f.name, "--" + f.name.replace("_", "-"))
    common = dict(dest=dest, default=argparse.SUPPRESS)
    if kind is bool and default is None:  # three states: --x, --no-x, or the default's own
        off = "--no-" + f.name.replace("_", "-")
        section.add_argument(name, action="store_const", const=True, help=_help(doc), **common)
        section.add_argument(
            off, action="store_const", const=False, help=f"turn {name} off", **common
        )
    elif kind is bool and default is True:
        name = "--no-" + f.name.replace("_", "-")
        section.add_argument(name, action="store_false", help=_help("turn off: " + doc), **common)
    elif kind is bool:
        names = (name, *ALIASES.get(f.name, ()))
        section.add_argument(*names, action="store_true", help=_help(doc), **common)
    else:
        shown = (
            ""
            if required or default in (None, dataclasses.MISSING)
            else f" (default: {_show(default)})"
        )
        section.add_argument(
            name,
            type=_parser(tp),
            choices=None if _is_list(tp) else choices,
            required=required,
            metavar=_metavar(f.name, tp, choices),
            help=_help(doc + shown),
            **common,
        )
    return Flag(group, path, owner, f.name, name, dest)


def construct(cls: type, values: dict[str, Any]) -> Any:
    """``cls`` from dotted-path values over its defaults (nested defaults included)."""
    tree: dict[str, Any] = {}
    for path, value in values.items():
        node = tree
        *parents, leaf = path.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return cls.from_dict(_fill(cls, tree))


def _fill(cls: type, tree: dict[str, Any]) -> dict[str, Any]:
    """Nested parts of ``tree`` completed from their field's default instance."""
    out = dict(tree)
    types_ = hints(cls)
    for f in dataclasses.fields(cls):
        tp = types_[f.name]
        if is_config(tp) and f.name in tree:
            base = _default_value(f)
            sub = _fill(tp, tree[f.name])
            out[f.name] = _deep_merge(base.to_dict() if base is not None else {}, sub)
    return out


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = (
            _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
        )
    return out


def _default_value(f: Any) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def _field_default(cls: type, path: str) -> Any:
    """The default of a dotted field: a nested field's value in its parent's default."""
    *parents, leaf = path.split(".")
    fields_ = {x.name: x for x in dataclasses.fields(cls)}
    if not parents:
        return _default_value(fields_[leaf])
    obj = _default_value(fields_[parents[0]])
    with untracked():
        if obj is dataclasses.MISSING:
            obj = hints(cls)[parents[0]]()
        for name in parents[1:]:
            obj = getattr(obj, name)
        return getattr(obj, leaf)


def _declaring(cls: type, path: str) -> type:
    for name in path.split(".")[:-1]:
        cls = hints(cls)[name]
    return cls


def _strip_none(tp: Any) -> Any:
    if is_union(tp):
        rest = [a for a in get_args(tp) if a is not type(None)]
        return rest[0] if len(rest) == 1 else tp
    return tp


def _is_list(tp: Any) -> bool:
    return get_origin(_strip_none(tp)) in (tuple, list)


def _scalar(tp: Any) -> tuple[Any, tuple[Any, ...] | None]:
    """(item type, choices): the type a flag's value (or each list item) parses to."""
    tp = _strip_none(tp)
    if _is_list(tp):
        tp = get_args(tp)[0] if get_args(tp) else str
    if get_origin(tp) is Literal:
        args = get_args(tp)
        return type(args[0]), args
    return tp, None


def _parser(tp: Any) -> Any:
    """argparse ``type=``: a scalar parser, or a comma-separated list of them."""
    kind, _ = _scalar(tp)
    item = {int: int, float: float}.get(kind, str)
    if not _is_list(tp):
        return _or_none(item) if _is_optional(tp) and item is not str else item

    def parse_list(text: str) -> tuple[Any, ...]:
        try:
            return tuple(item(v.strip()) for v in text.split(",") if v.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"a comma-separated list, got {text!r}") from None

    parse_list.__name__ = "list"
    return parse_list


def _is_optional(tp: Any) -> bool:
    return is_union(tp) and type(None) in get_args(tp)


def _or_none(parse: Any) -> Any:
    """A parser that also reads "none" (the field's None: off, or the default's meaning)."""

    def parse_or_none(text: str) -> Any:
        return None if text.lower() == "none" else parse(text)

    parse_or_none.__name__ = parse.__name__  # argparse names the type in its errors
    return parse_or_none


def _metavar(name: str, tp: Any, choices: tuple[Any, ...] | None) -> str | None:
    if _is_list(tp):
        return "A,B,..." if choices is None else ",".join(map(str, choices))
    if choices is not None:
        return "{" + ",".join(map(str, choices)) + "}"
    kind, _ = _scalar(tp)
    return {int: "N", float: "X", str: name.upper()}.get(kind)


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return str(value)


def _help(text: str) -> str:
    return text.replace("%", "%%")  # argparse %-formats help strings
