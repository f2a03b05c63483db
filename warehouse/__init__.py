"""The read side's shared ground, imported by the ETL, the cockpit and the notebooks alike and
importing none of them: what a rule needs in more than one layer is written here once."""
