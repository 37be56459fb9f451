"""Module registry: each domain declares its routes and navigation once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

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
class SearchEntry:
    """Something other than a service item that the catalogue search finds (a bundle, 一件事): indexed with the items.

    ``kind`` names it in results (``"bundle"``); ``details`` are shown with the hit and not searched;
    ``covers`` are the codes of the items it comprises (it goes before such an item it matches nearly as well).
    """

    kind: str
    code: str
    name: str
    department: str
    url: str
    aliases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    summary: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    covers: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchSource:
    """A module's contribution to the catalogue search, so the catalogue never imports the module.

    ``revision(ctx)`` is cheap and changes whenever ``entries(ctx)`` would; both take a service context.
    """

    name: str
    revision: Callable[[Any], Awaitable[str]]
    entries: Callable[[Any], Awaitable[Sequence[SearchEntry]]]


class SearchSources:
    """The search sources of the mounted modules (installed by the composition root, like event subscriptions)."""

    def __init__(self) -> None:
        self._sources: tuple[SearchSource, ...] = ()

    def install(self, sources: Sequence[SearchSource]) -> None:
        """Replace the sources with those of the modules being mounted."""
        self._sources = tuple(sources)

    def all(self) -> tuple[SearchSource, ...]:
        """Every installed source, in module order."""
        return self._sources


search_sources = SearchSources()


@dataclass(frozen=True)
class Module:
    """A domain module's registration: routes (API and pages), navigation, event subscriptions, scheduled jobs and search sources."""

    name: str
    title: str
    route_handlers: Sequence[ControllerRouterHandler] = ()
    nav: Sequence[NavEntry] = field(default_factory=tuple)
    subscriptions: Sequence[Subscription] = field(default_factory=tuple)
    jobs: Sequence[Job] = field(default_factory=tuple)
    search_sources: Sequence[SearchSource] = field(default_factory=tuple)


def nav_for(modules: Sequence[Module], portal: Portal, permissions: frozenset[str]) -> list[NavEntry]:
    """Navigation of one portal, filtered by what the user may do, in display order."""
    entries = [entry for module in modules for entry in module.nav if entry.portal == portal and (entry.permission is None or entry.permission in permissions)]
    return sorted(entries, key=lambda e: (e.order, e.title))
