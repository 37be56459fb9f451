"""Audit tags of the evaluation module (``source:subject:action``)."""

RATING_CREATED = "evaluation:rating:create"
RATING_READ = "evaluation:rating:read"
RECTIFICATION_OPENED = "evaluation:rectification:open"
RECTIFICATION_COMPLETED = "evaluation:rectification:complete"
RECTIFICATIONS_LISTED = "evaluation:rectification:list"
REVISIT_RECORDED = "evaluation:rectification:revisit"
STATS_READ = "evaluation:stats:read"
