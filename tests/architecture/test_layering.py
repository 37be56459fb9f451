"""Architecture rules the import-linter contracts cannot express generically."""

import ast
from pathlib import Path

from litestar.handlers import HTTPRouteHandler

from longgov.security.policy import route_access

SRC = Path(__file__).resolve().parents[2] / "src" / "longgov"
# Domains and the only modules other domains may import from them.
DOMAINS = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "services.py").exists()} | {"security.audit"}
PUBLIC_MODULES = {"services", "schemas", "service"}


def _domain_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "longgov":
        return None
    if parts[1] == "security" and len(parts) > 2 and parts[2] == "audit":
        return "security.audit"
    return parts[1] if parts[1] in DOMAINS else None


def test_domains_import_each_other_only_through_services_and_schemas():
    problems = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        module = ".".join(rel.parts)
        own = _domain_of(module)
        if own is None:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                other = _domain_of(name)
                if other is None or other == own:
                    continue
                leaf = name.split(".")[3 if other == "security.audit" else 2] if len(name.split(".")) > (3 if other == "security.audit" else 2) else ""
                if leaf and leaf not in PUBLIC_MODULES and not name.endswith(tuple(f".{m}" for m in PUBLIC_MODULES)):
                    if name.rsplit(".", 1)[0].split(".")[-1] in PUBLIC_MODULES:
                        continue  # `from longgov.x.services import f`
                    problems.append(f"{module} imports {name}")
    assert not problems, problems


def test_every_route_declares_its_access(app):
    undeclared = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if (
                isinstance(handler, HTTPRouteHandler)
                and handler.http_methods != {"OPTIONS"}
                and route_access(handler)[0] == "undeclared"
                and not route.path.startswith(("/static", "/api/schema"))
            ):
                undeclared.append(route.path)
    assert not undeclared, undeclared


def test_every_route_has_an_operation_id(app):
    missing = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if (
                isinstance(handler, HTTPRouteHandler)
                and handler.http_methods != {"OPTIONS"}
                and not route.path.startswith(("/static", "/api/schema"))
                and not handler.operation_id
            ):
                missing.append(route.path)
    assert not missing, missing


def test_services_never_commit():
    offenders = [str(p.relative_to(SRC)) for p in SRC.rglob("services.py") if ".commit()" in p.read_text(encoding="utf-8")]
    offenders += [str(p.relative_to(SRC)) for p in SRC.rglob("service.py") if ".commit()" in p.read_text(encoding="utf-8")]
    assert not offenders, offenders
