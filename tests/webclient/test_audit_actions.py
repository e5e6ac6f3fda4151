"""The log review's action filter (webclient/audit/actions.js) lists every
action the service records, each with its words in Swedish and English.

The recorded actions are found in the code: the argument given for a
parameter named ``action`` (string constants, ``a if c else b`` of two, and
module constants such as ``FHIR_EXPORT``), and what ``action_of`` returns for
staff frames."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ACTIONS_JS = (ROOT / "webclient" / "audit" / "actions.js").read_text(encoding="utf-8")


def _listed() -> list[str]:
    groups = ACTIONS_JS.split("export const ACTION_GROUPS", 1)[1].split("];\n", 1)[0]
    # Each group is ['group', [...actions]]: the first string of each is the group.
    return [a for g in re.split(r"\n  \[", groups)[1:] for a in re.findall(r"'([a-z_]+)'", g)[1:]]


def _groups() -> list[str]:
    groups = ACTIONS_JS.split("export const ACTION_GROUPS", 1)[1].split("];\n", 1)[0]
    return [re.findall(r"'([a-z_]+)'", g)[0] for g in re.split(r"\n  \[", groups)[1:]]


def _trees() -> list[ast.Module]:
    return [ast.parse(p.read_text(encoding="utf-8")) for p in (ROOT / "chatserver").rglob("*.py")]


def _constants(trees: list[ast.Module]) -> dict[str, str]:
    found: dict[str, str] = {}
    for tree in trees:
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                found[node.targets[0].id] = node.value.value
    return found


def _action_params(trees: list[ast.Module]) -> dict[str, int]:
    """Functions with a parameter ``action``: name → its position."""
    found: dict[str, int] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names = [a.arg for a in node.args.args]
                if "action" in names:
                    skip = 1 if names[0] == "self" else 0
                    found[node.name] = names.index("action") - skip
    return found


def _values(arg: ast.expr, constants: dict[str, str]) -> list[str]:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    if isinstance(arg, ast.IfExp):
        return _values(arg.body, constants) + _values(arg.orelse, constants)
    if isinstance(arg, ast.Name) and arg.id in constants:
        return [constants[arg.id]]
    return []


def recorded_actions() -> set[str]:
    trees = _trees()
    constants = _constants(trees)
    params = _action_params(trees)
    found: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
                if name not in params:
                    continue
                pos = params[name]
                args = [k.value for k in node.keywords if k.arg == "action"]
                if len(node.args) > pos:
                    args.append(node.args[pos])
                for arg in args:
                    found.update(_values(arg, constants))
            if isinstance(node, ast.FunctionDef) and node.name == "action_of":
                for ret in ast.walk(node):
                    if isinstance(ret, ast.Return) and ret.value is not None:
                        found.update(_values(ret.value, constants))
    return found


def test_the_scan_finds_the_known_actions() -> None:
    """The scan itself works: it finds actions recorded in each of its ways."""
    assert {"pick", "login", "stats_tables", "legal_hold_set", "fhir_export"} <= recorded_actions()


def test_every_recorded_action_is_in_the_filter() -> None:
    """An action the service records can be chosen in the filter."""
    assert sorted(recorded_actions() - set(_listed())) == []


def test_listed_actions_are_unique_and_have_words_in_both_languages() -> None:
    """Each action and group once, with Swedish and English words."""
    listed = _listed()
    assert len(listed) == len(set(listed)) > 50
    for lang in ("sv", "en"):
        texts = json.loads((ROOT / "webclient" / "i18n" / f"{lang}.json").read_text("utf-8"))
        missing = [a for a in listed if not texts.get(f"audit.action_{a}")]
        missing += [g for g in _groups() if not texts.get(f"audit.group_{g}")]
        assert missing == [], lang
