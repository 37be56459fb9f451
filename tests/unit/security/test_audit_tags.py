"""Every audit tag a module declares has a Chinese title for the audit browser."""

from __future__ import annotations

import importlib
import pkgutil
import re

import longgov
from longgov.security.audit.tags import TAG_TITLES

TAG = re.compile(r"^[a-z_]+:[a-z_]+:[a-z_-]+$")


def _declared_tags() -> set[str]:
    tags: set[str] = set()
    for info in pkgutil.iter_modules(longgov.__path__):
        for name in (f"longgov.{info.name}.events", f"longgov.{info.name}.runner"):
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError:
                continue
            tags |= {value for key, value in vars(module).items() if key.isupper() and isinstance(value, str) and TAG.match(value)}
    return tags


def test_every_declared_tag_has_a_title() -> None:
    tags = _declared_tags()
    assert len(tags) > 50  # the scan found the modules' declarations
    missing = sorted(t for t in tags if t not in TAG_TITLES)
    assert not missing, f"add Chinese titles to security/audit/tags.py: {missing}"
