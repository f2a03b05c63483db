"""Privacy: personal columns pseudonymised on their way in (keyed hashes, shared masks, scrubbed
free text, quarantined values shown masked) and their clear values sealed into the vault."""
