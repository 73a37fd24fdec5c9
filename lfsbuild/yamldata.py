"""Reading the project's YAML data files so that every complaint names file, line and field.

packages.yaml and host-requirements.yaml are edited by hand; PyYAML's node API keeps the
line of every value, which a plain `safe_load` throws away.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from .errors import DataFileError


def read_text(path: Path, missing_hint: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(str(path), None, None, "file not found", missing_hint) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(str(path), None, None, f"cannot read: {exc}") from None


def compose(text: str, where: str) -> yaml.Node:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataFileError(where, mark.line + 1 if mark else None, None,
                            f"not valid YAML: {problem}") from None
    if root is None:
        raise DataFileError(where, 1, None, "the file is empty")
    return root


def mapping(node: yaml.MappingNode, where: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """key -> (key node, value node); duplicate and non-string keys are errors."""
    out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for knode, vnode in node.value:
        key = knode.value if isinstance(knode, yaml.ScalarNode) else None
        if not isinstance(key, str):
            raise DataFileError(where, line(knode), None, "keys must be plain strings")
        if key in out:
            raise DataFileError(where, line(knode), key, "key given twice in the same entry")
        out[key] = (knode, vnode)
    return out


def fields(node: yaml.Node, where: str, field_name: str | None, required: tuple[str, ...],
           optional: tuple[str, ...] = (), missing_in: str = "the file",
           label_key: str | None = None, not_mapping: str | None = None
           ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """A mapping whose keys are checked: nothing unknown, nothing required missing.

    `label_key` names the entry in the "missing" message (e.g. "missing in entry 'gcc'").
    """
    if not isinstance(node, yaml.MappingNode):
        raise DataFileError(where, line(node), field_name,
                            not_mapping or "expected a mapping with " + ", ".join(required))
    out = mapping(node, where)
    allowed = required + optional
    for key, (knode, _) in out.items():
        if key not in allowed:
            raise DataFileError(where, line(knode), key, f"unknown key; allowed: {', '.join(allowed)}")
    for key in required:
        if key not in out:
            label = ""
            if label_key in out and isinstance(out[label_key][1], yaml.ScalarNode):
                label = f" {out[label_key][1].value!r}"
            raise DataFileError(where, line(node), key, f"missing in {missing_in}{label}")
    return out


def scalar(node: yaml.Node, where: str, field_name: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.value == "" or (
            node.tag == "tag:yaml.org,2002:null"):
        raise DataFileError(where, line(node), field_name, "expected a non-empty value")
    return str(node.value).strip()


def line(node: yaml.Node) -> int:
    return node.start_mark.line + 1
