"""Import every module's tables so metadata is complete (migrations, test schema)."""

from __future__ import annotations


def import_all_models() -> None:
    """Import each domain's models module for its side effect of registering tables."""
    import longgov.applications.models  # noqa: PLC0415
    import longgov.catalog.models  # noqa: PLC0415
    import longgov.documents.models  # noqa: PLC0415
    import longgov.evaluation.models  # noqa: PLC0415
    import longgov.identity.models  # noqa: PLC0415
    import longgov.jobs.models  # noqa: PLC0415
    import longgov.licences.models  # noqa: PLC0415
    import longgov.notify.models  # noqa: PLC0415
    import longgov.onething.models  # noqa: PLC0415
    import longgov.security.audit.models  # noqa: PLC0415
    import longgov.timelimits.models  # noqa: F401, PLC0415
