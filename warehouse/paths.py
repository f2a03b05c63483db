"""Where the project lives: the repository's root and its data folder, defined once for every
layer (the ETL's reference files, the cockpit's assets, the kept files of warehouse/state.py)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
