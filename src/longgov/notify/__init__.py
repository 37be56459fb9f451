"""Notifications: SMS and in-app messages through swappable gateways."""
