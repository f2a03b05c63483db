"""Geometry shared by the stages (and the demo generator): coordinate reference systems and their
conversions, point in polygon in metres."""
