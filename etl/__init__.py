"""ETL, the write side: source exports → load (etl/load) with privacy on the way (etl/privacy) →
transform (etl/transform) → publish (etl/publish); etl/refresh.py runs the stages over one Run
(etl/run.py). The demo generator is not part of it (demo/)."""
