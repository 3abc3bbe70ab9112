"""A small typed schema for YAML documents, with French messages that give the line.

PyYAML's node tree keeps each value's position; converting it against a schema lets
every wrong key or type be reported as « ligne 12, colonne 5 : … ».
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeGuard

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path = tuple[str | int, ...]


@dataclass
class Problem:
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"ligne {self.line}, colonne {self.column} : {self.message}"


def describe(path: Path) -> str:
    """« engagements[1].defis[2].code » (1-based positions, as people count)."""
    text = ""
    for part in path:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "document"


class Spec:
    optional: bool = False

    def convert(self, node: Node, path: Path, ctx: Context) -> Any:
        raise NotImplementedError


@dataclass
class Context:
    loader: yaml.SafeLoader
    problems: list[Problem] = field(default_factory=list)
    lines: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def fail(self, node: Node, message: str) -> None:
        self.problems.append(Problem(node.start_mark.line + 1, node.start_mark.column + 1, message))

    def scalar(self, node: ScalarNode) -> Any:
        return self.loader.construct_object(node, deep=True)


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _a_scalar(node: Node, path: Path, ctx: Context, optional: bool, expected: str) -> TypeGuard[ScalarNode]:
    """Whether `node` holds a value to convert (a missing required one, or a list, is a problem)."""
    ctx.lines[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if _is_null(node):
        if not optional:
            ctx.fail(node, f"« {describe(path)} » est obligatoire (valeur vide).")
        return False
    if not isinstance(node, ScalarNode):
        ctx.fail(node, f"« {describe(path)} » doit être {expected}, pas une liste ni un bloc.")
        return False
    return True


@dataclass
class Scalar(Spec):
    """A text, integer, number, date or boolean; `choices` restricts the allowed values."""

    kind: type = str
    optional: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None

    def convert(self, node: Node, path: Path, ctx: Context) -> Any:
        if not _a_scalar(node, path, ctx, self.optional, _KIND_NAMES[self.kind]):
            return None
        try:
            raw = ctx.scalar(node)
        except ValueError as exc:  # e.g. 2023-02-31 matches the date pattern but is no date
            ctx.fail(node, f"« {describe(path)} » : valeur invalide « {node.value} » ({exc}).")
            return None
        value = self._coerce(raw, node, path, ctx)
        if value is None:
            return None
        if self.choices is not None and value not in self.choices:
            allowed = ", ".join(str(c) for c in self.choices)
            ctx.fail(node, f"« {describe(path)} » vaut « {value} » : valeurs permises {allowed}.")
        bounds = self._out_of_bounds(value)
        if bounds:
            ctx.fail(node, f"« {describe(path)} » vaut {value} : {bounds}.")
        return value

    def _out_of_bounds(self, value: Any) -> str | None:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return None
        low, high = self.minimum, self.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            if low is not None and high is not None:
                return f"attendu entre {low:g} et {high:g}"
            return f"attendu au moins {low:g}" if low is not None else f"attendu au plus {high:g}"
        return None

    def _coerce(self, raw: Any, node: Node, path: Path, ctx: Context) -> Any:
        expected = _KIND_NAMES[self.kind]
        if self.kind is str:
            if isinstance(raw, bool | datetime):
                ctx.fail(node, f"« {describe(path)} » doit être {expected} (mettez-le entre guillemets).")
                return None
            if isinstance(raw, date):
                return raw.isoformat()
            return str(raw) if isinstance(raw, int | float) else raw
        if self.kind is int and isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if self.kind is float and isinstance(raw, int | float) and not isinstance(raw, bool):
            return float(raw)
        if self.kind is date:
            if isinstance(raw, date) and not isinstance(raw, datetime):
                return raw
            if isinstance(raw, str):
                try:
                    return date.fromisoformat(raw)
                except ValueError:
                    pass
        ctx.fail(node, f"« {describe(path)} » doit être {expected} ; lu : « {node.value} ».")
        return None


@dataclass
class Typed(Spec):
    """A value read by a parser of what people type (`store.parsing` through the field registry):
    "15/03/2025", "12 500,50", "50 %", "terminé"… A refusal names the line and the reason.
    The value is kept in its YAML form (`to_yaml`), so that documents read from a file and
    documents built in code look alike."""

    read: Callable[[Any], Any]
    to_yaml: Callable[[Any], Any]
    optional: bool = True

    def convert(self, node: Node, path: Path, ctx: Context) -> Any:
        if not _a_scalar(node, path, ctx, self.optional, "une valeur"):
            return None
        try:
            raw = ctx.scalar(node)
        except ValueError:  # 2023-02-31 looks like a date to YAML but is none: the parser says why
            raw = node.value
        try:
            return self.to_yaml(self.read(raw))
        except ValueError as exc:  # store.parsing.ParseError, in French
            ctx.fail(node, f"« {describe(path)} » : « {node.value} » — {exc}.")
            return None


_KIND_NAMES = {
    str: "un texte",
    int: "un nombre entier",
    float: "un nombre",
    date: "une date AAAA-MM-JJ",
    bool: "vrai ou faux",
}


@dataclass
class ListOf(Spec):
    item: Spec
    optional: bool = True

    def convert(self, node: Node, path: Path, ctx: Context) -> Any:
        ctx.lines[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if _is_null(node):
            return []
        if not isinstance(node, SequenceNode):
            ctx.fail(node, f"« {describe(path)} » doit être une liste (lignes commençant par « - »).")
            return []
        return [self.item.convert(child, (*path, i), ctx) for i, child in enumerate(node.value)]


@dataclass
class MapOf(Spec):
    """A mapping with free keys (texts) and values of one spec."""

    value: Spec
    optional: bool = True

    def convert(self, node: Node, path: Path, ctx: Context) -> Any:
        if _is_null(node):
            return {}
        if not isinstance(node, MappingNode):
            ctx.fail(node, f"« {describe(path)} » doit être un bloc « clé: valeur ».")
            return {}
        return {
            str(ctx.scalar(k)): self.value.convert(v, (*path, str(ctx.scalar(k))), ctx)
            for k, v in node.value
            if isinstance(k, ScalarNode)
        }


@dataclass
class Record(Spec):
    fields: dict[str, Spec]
    optional: bool = False

    def convert(self, node: Node, path: Path, ctx: Context) -> Any:
        ctx.lines[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if _is_null(node) and self.optional:
            return None
        if not isinstance(node, MappingNode):
            ctx.fail(node, f"« {describe(path)} » doit être un bloc « clé: valeur ».")
            return {}
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = ctx.scalar(key_node) if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str) or key not in self.fields:
                known = ", ".join(self.fields)
                ctx.fail(
                    key_node, f"clé « {key} » inconnue dans « {describe(path)} » (clés permises : {known})."
                )
                continue
            if key in result:
                ctx.fail(key_node, f"clé « {key} » en double dans « {describe(path)} ».")
                continue
            result[key] = self.fields[key].convert(value_node, (*path, key), ctx)
        for key, spec in self.fields.items():
            if key not in result:
                if not spec.optional:
                    ctx.fail(node, f"clé « {key} » manquante dans « {describe(path)} ».")
                result[key] = [] if isinstance(spec, ListOf) else ({} if isinstance(spec, MapOf) else None)
        return result


def parse(text: str, spec: Spec, *, max_problems: int = 50) -> tuple[Any, Context]:
    """Parse `text` and convert it against `spec`. Syntax errors become one Problem."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML forbids, found before parsing
        line = text[: exc.position].count("\n") + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        forbidden = Problem(
            line, column, f"caractère interdit dans un fichier YAML (code {exc.character!r})."
        )
        return None, Context(yaml.SafeLoader(""), [forbidden])
    ctx = Context(loader)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = exc.problem or "erreur de syntaxe"
        ctx.problems.append(Problem(line, column, f"syntaxe YAML invalide ({problem})."))
        return None, ctx
    except yaml.YAMLError as exc:
        ctx.problems.append(Problem(0, 0, f"syntaxe YAML invalide ({exc})."))
        return None, ctx
    finally:
        loader.dispose()
    if node is None:
        ctx.problems.append(Problem(1, 1, "le fichier est vide."))
        return None, ctx
    value = spec.convert(node, (), ctx)
    del ctx.problems[max_problems:]
    return value, ctx
