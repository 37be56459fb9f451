"""Registration of the documents module."""

from longgov.documents.api import DocumentsController
from longgov.documents.views import route_handlers
from longgov.kernel.registry import Module

module = Module(name="documents", title="文书", route_handlers=[DocumentsController, *route_handlers])
