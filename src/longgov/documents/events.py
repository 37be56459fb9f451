"""Audit tags of the documents module (``source:subject:action``)."""

DOCUMENT_ISSUED = "documents:document:issue"
DOCUMENT_DOWNLOADED = "documents:document:download"
DOCUMENT_READ = "documents:document:read"
