"""Moorage: hosting billing and automation for ispmanager."""

__version__ = "0.1.0"
