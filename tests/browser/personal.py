"""Finding personal data in what the cockpit sent: full ID numbers (18 characters, GB 11643),
mobile numbers, and residents' or account holders' full names from the (clear) source files."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

# region (province 11–82) + birth date + sequence + check: not an organisation's credit code (91…)
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[1-8]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
                       r"\d{3}[\dXx](?![0-9A-Za-z])")
# a number on its own: Dash's random request token (end_id, letters and digits) can hold eleven
# digits in a row, which is not a phone
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
CJK_RUN = re.compile(r"[\u4e00-\u9fff]{3,}")


class PersonalData:
    def __init__(self, source: Path, public_text: str):
        """Three-character names of residents and account holders from `source`; a name that also
        occurs in `public_text` (area, category and department names) would be a false alarm, so
        it is left out."""
        names = set()
        for file, column in (("persons.csv", "姓名"), ("accounts.csv", "使用人")):
            with open(source / file, encoding="utf-8-sig", newline="") as f:
                names |= {r[column].strip() for r in csv.DictReader(f) if len(r[column].strip()) == 3}
        self.names = {n for n in names if n not in public_text}

    def found(self, text: str) -> list[str]:
        """What personal data `text` holds (JSON is decoded first: CJK may be \\u-escaped)."""
        try:
            text = json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            pass
        hits = ID_NUMBER.findall(text) + MOBILE.findall(text)
        for run in CJK_RUN.findall(text):
            hits += [run[i:i + 3] for i in range(len(run) - 2) if run[i:i + 3] in self.names]
        return hits
