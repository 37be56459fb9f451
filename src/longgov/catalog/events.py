"""Audit tags of the catalogue module (``source:subject:action``)."""

ITEM_CREATED = "catalog:item:create"
ITEM_DRAFTED = "catalog:item:draft"
ITEM_PUBLISHED = "catalog:item:publish"
ITEMS_EXPORTED = "catalog:items:export"
ITEMS_IMPORTED = "catalog:items:import"
ITEMS_SEEDED = "catalog:items:seed"
