"""Service rating (好差评, R3.8): ratings, rectification of bad ratings, re-visits and statistics."""
