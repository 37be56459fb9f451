"""Module registry: each domain declares its routes and navigation once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from litestar.types import ControllerRouterHandler

from longgov.kernel.events import Subscription
from longgov.kernel.jobs import Job

Portal = Literal["citizen", "enterprise", "workbench", "admin"]


@dataclass(frozen=True)
class NavEntry:
    """One navigation link shown on a portal when the user holds the permission."""

    portal: Portal
    title: str
    path: str
    permission: str | None = None
    order: int = 100
    icon: str = ""


@dataclass(frozen=True)
class Module:
    """A domain module's registration: routes (API and pages), navigation, event subscriptions and scheduled jobs."""

    name: str
    title: str
    route_handlers: Sequence[ControllerRouterHandler] = ()
    nav: Sequence[NavEntry] = field(default_factory=tuple)
    subscriptions: Sequence[Subscription] = field(default_factory=tuple)
    jobs: Sequence[Job] = field(default_factory=tuple)


def nav_for(modules: Sequence[Module], portal: Portal, permissions: frozenset[str]) -> list[NavEntry]:
    """Navigation of one portal, filtered by what the user may do, in display order."""
    entries = [entry for module in modules for entry in module.nav if entry.portal == portal and (entry.permission is None or entry.permission in permissions)]
    return sorted(entries, key=lambda e: (e.order, e.title))
