"""Catalogue tables: service items, their immutable versions and the search-index revision."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from longgov.db import ModelBase, Timestamps, UUIDPrimaryKey


class ServiceItem(UUIDPrimaryKey, Timestamps, ModelBase):
    """政务服务事项 — one implementation of a national item by one body in one division.

    The row holds what identifies the item and what queries filter on; its content lives in
    :class:`ServiceItemVersion` rows, so anything that refers to a version keeps it.
    """

    __tablename__ = "catalog_items"

    code: Mapped[str] = mapped_column(String(80), unique=True)  # implementation code (实施编码)
    basic_code: Mapped[str] = mapped_column(String(40), index=True)  # basic code (基本编码)
    name: Mapped[str] = mapped_column(String(200))
    organisation_code: Mapped[str] = mapped_column(String(40), index=True)
    department_name: Mapped[str] = mapped_column(String(120))
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    department_kind: Mapped[str | None] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(12))
    published_version: Mapped[int | None] = mapped_column(Integer)
    latest_version: Mapped[int] = mapped_column(Integer, default=1)


class ServiceItemVersion(UUIDPrimaryKey, Timestamps, ModelBase):
    """One version of an item's guide content: draft → published → superseded."""

    __tablename__ = "catalog_item_versions"

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_items.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))  # draft | published | superseded
    content: Mapped[dict[str, Any]]
    created_by: Mapped[str | None] = mapped_column(String(120))
    published_at: Mapped[datetime | None]
    change_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("item_id", "version", name="uq_catalog_item_versions_item_version"),)


class CatalogRevision(ModelBase):
    """A counter bumped on every publication, so each worker knows when to rebuild its search index."""

    __tablename__ = "catalog_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]
