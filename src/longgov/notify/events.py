"""Audit tags of the notify module (``source:subject:action``)."""

MESSAGE_SENT = "notify:message:send"
MESSAGES_LISTED = "notify:message:list"
MESSAGE_READ = "notify:message:read"
MESSAGES_ALL_READ = "notify:message:read-all"
