"""Scheduled jobs as modules declare them (``Module.jobs``); ``longgov.jobs`` runs them under a lease."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

# Called with a system ``ServiceContext`` (no actor) inside its own unit of work; returns a one-line
# Chinese summary of what it did, recorded as the job's last result. The kernel cannot name the
# context type (it lives above the kernel), hence ``Any``.
JobFunction = Callable[[Any], Awaitable[str]]


@dataclass(frozen=True)
class Job:
    """A named periodic job: due ``every`` after its last start; ``lease`` bounds one run."""

    name: str
    title: str
    every: timedelta
    run: JobFunction
    lease: timedelta = timedelta(minutes=10)
