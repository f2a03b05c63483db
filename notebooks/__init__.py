"""Analysts' notebooks on the served warehouse; `notebooks.warehouse` is how they read it."""
