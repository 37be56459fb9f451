"""Audit tags of the time-limits module (``source:subject:action``)."""

ALERT_RAISED = "timelimits:calendar:missing-year"
ALERT_RESOLVED = "timelimits:calendar:alert-resolved"
NOTICE_PUBLISHED = "timelimits:notice:publish"
REFERENCE_SEEDED = "timelimits:notice:seed"
