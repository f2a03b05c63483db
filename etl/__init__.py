"""ETL: building the cockpit's data (geography, synthetic records, loading)."""
