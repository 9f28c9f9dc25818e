"""Rendering runs: terminal summary and live view, JSON. Reports render from the store."""
