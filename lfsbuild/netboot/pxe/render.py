"""Render the data files under templates/ with `string.Template` (`$name`, `$$` for `$`)."""
from __future__ import annotations

from importlib import resources
from string import Template


def render(name: str, **values: object) -> str:
    """Render template `name`; a missing value is a programming error, so it raises KeyError."""
    text = resources.files("lfsbuild.netboot.pxe").joinpath("templates").joinpath(name).read_text()
    return Template(text).substitute({k: str(v) for k, v in values.items()})
