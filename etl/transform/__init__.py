"""Transform: the SQL models (staging → core → marts, etl/transform/sql), the work calendar as
tables, the simplified map shapes."""
