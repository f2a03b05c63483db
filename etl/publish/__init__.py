"""Publish: a checked build becomes the served generation, atomically (the write side of
warehouse/generations.py); what a generation says of itself (meta); the reasons to refuse one."""
