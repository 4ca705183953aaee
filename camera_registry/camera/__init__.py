"""Cameras: the registry's main record."""
