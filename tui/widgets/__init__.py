"""Reusable widgets and typed dialogs."""
