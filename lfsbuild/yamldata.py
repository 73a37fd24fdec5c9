"""Reading the project's YAML data files so that every complaint names file, line and field.

packages.yaml and host-requirements.yaml are edited by hand; PyYAML's node API keeps the
line of every value, which a plain `safe_load` throws away.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from .errors import DataFileError

#: Deeper nesting than this is not a packages or requirements file. PyYAML composes nodes
#: recursively, so 5,000 `[` end in a RecursionError; the depth is checked on the (iterative)
#: event stream first, where the offending line is known.
MAX_DEPTH = 32
#: Larger than any data file of ours by far (packages.yaml is ~30 KB); bounds the work a
#: wrong path (a tarball, /dev/zero) can cause.
MAX_BYTES = 16 * 1024 * 1024


def read_text(path: Path, missing_hint: str) -> str:
    """The file as UTF-8 text; bad bytes are reported with their line, not a byte offset."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise DataFileError(str(path), None, None, "file not found", missing_hint) from None
    except OSError as exc:
        raise DataFileError(str(path), None, None, f"cannot read: {exc.strerror or exc}",
                            missing_hint) from None
    if len(data) > MAX_BYTES:
        raise DataFileError(str(path), None, None,
                            f"larger than {MAX_BYTES // 2**20} MiB: not a data file of lfsbuild",
                            missing_hint)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        at = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[at:exc.start].decode("utf-8", "replace")) + 1
        raise DataFileError(str(path), data.count(b"\n", 0, exc.start) + 1, None,
                            f"not UTF-8 text: byte 0x{data[exc.start]:02x} in column {column}",
                            "save the file as UTF-8") from None


def compose(text: str, where: str) -> yaml.Node:
    try:
        _check_depth(text, where)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataFileError(where, mark.line + 1 if mark else None, None,
                            f"not valid YAML: {problem}") from None
    if root is None:
        raise DataFileError(where, 1, None, "the file is empty")
    return root


def _check_depth(text: str, where: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH before composing (which would recurse that deep)."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise DataFileError(where, event.start_mark.line + 1, None,
                                    f"nested more than {MAX_DEPTH} levels deep",
                                    "a data file of lfsbuild needs three or four levels; "
                                    "look for unbalanced [ or {")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


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
