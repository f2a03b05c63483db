"""Geodesy helpers: coordinate reference systems and conversions."""
