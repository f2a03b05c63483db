"""Pure functions: DataFrames in, Plotly figures out. No database, no Dash."""
