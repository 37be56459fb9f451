"""Scheduled jobs as modules declare them (``Module.jobs``); ``longgov.jobs`` runs them under a lease."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any


class PartlyDone(str):  # noqa: SLOT000 - a str with a meaning, no state of its own
    """A job's summary when some of its work failed and the rest is kept (e.g. one external feed unreachable).

    The run commits what succeeded and is recorded as ``partial`` rather than ``ok``.
    """


# Called with a system ``ServiceContext`` (no actor) inside its own unit of work; returns a one-line
# Chinese summary of what it did (a ``PartlyDone`` when part of it failed), recorded as the job's last
# result. The kernel cannot name the context type (it lives above the kernel), hence ``Any``.
JobFunction = Callable[[Any], Awaitable[str]]


@dataclass(frozen=True)
class Job:
    """A named periodic job: due ``every`` after its last start; ``lease`` bounds one run."""

    name: str
    title: str
    every: timedelta
    run: JobFunction
    lease: timedelta = timedelta(minutes=10)
