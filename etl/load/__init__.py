"""Load: source exports read as text (every line accounted for), repaired where unambiguous, their
points converted and checked against their grid, their rows checked by the contract, failures
quarantined; the area layers read and their topology checked; event updates merged."""
