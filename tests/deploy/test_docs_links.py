"""The docs' cross-references land: every relative markdown link of the READMEs and docs/*.md names
a file that exists and, with `#anchor`, a heading of it (GitHub's anchors); every reference in
the code, the kit and the docs to `docs/X.md, "Title"`, the README's "Title" or operations.md's
`section N` names a heading that exists; a link whose text says `section N` points at section N."""
from __future__ import annotations

import re
import subprocess
import unicodedata
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "notebooks" / "README.md", ROOT / "bench" / "README.md"]
FENCE = re.compile(r"^\s*(```|~~~)")
LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^)\s]+)\)")
INLINE_CODE = re.compile(r"`[^`\n]*`")
TITLED = re.compile(r"(?<![\w/.-])((?:docs/)?[\w-]+\.md), \"([^\"]+)\"")
README_TITLED = re.compile(r"README(?:\.md)?(?:'s)?,? \"([^\"]+)\"")
SECTION = re.compile(r"operations\.md(?:\]\([^)]*\))?,? section (\d+)")
OWN_SECTION = re.compile(r"\bsections? (\d+)\b")
LINKED_SECTION = re.compile(r"\[[^\]]*\bsection (\d+)\]\([^)#]*#([^)]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: markdown links read as their text, lower case, every
    character but letters, digits, marks, `-`, `_` and spaces dropped (CJK are letters), each
    space a hyphen."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    kept = "".join(c for c in text if c in "-_ " or unicodedata.category(c)[0] in "LNM")
    return kept.replace(" ", "-")


def _prose_lines(path: Path) -> list[str]:
    """The lines outside fenced code blocks (a `# comment` in a shell block is no heading)."""
    lines, fenced = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            fenced = not fenced
        lines.append("" if fenced or FENCE.match(line) else line)
    return lines


@cache
def headings(path: Path) -> tuple[str, ...]:
    return tuple(m.group(2).strip() for line in _prose_lines(path)
                 if (m := re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)))


@cache
def anchors(path: Path) -> frozenset[str]:
    """Every heading's anchor, a repeated one also with GitHub's -1, -2 … suffixes."""
    seen: dict[str, int] = {}
    found = set()
    for h in headings(path):
        base = slug(h)
        n = seen.get(base, 0)
        found.add(base if n == 0 else f"{base}-{n}")
        seen[base] = n + 1
    return frozenset(found)


def names_heading(path: Path, title: str) -> bool:
    """`title` is a heading of `path`, its number ("9. ") aside, or the start of one before a
    colon or a parenthesis ("Several web servers" for "14. Several web servers: PostgreSQL and Redis")."""
    for h in headings(path):
        h = re.sub(r"^\d+\.\s+", "", h)
        if h == title or (h.startswith(title) and h[len(title):].lstrip()[:1] in (":", "(")):
            return True
    return False


def sections(path: Path) -> set[int]:
    return {int(m.group(1)) for h in headings(path) if (m := re.match(r"^(\d+)\.\s", h))}


def _tracked() -> list[Path]:
    """The repository's text files the references may be in (code, kit, docs, notebooks)."""
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    kinds = {".py", ".md", ".sh", ".conf", ".service", ".timer", ".env", ".toml", ".yaml", ".yml", ".sql",
             ".js", ".css", ".ipynb", ""}
    return [ROOT / p for p in out.splitlines()
            if Path(p).suffix in kinds and not p.startswith("data/") and (ROOT / p).is_file()
            and p != "tests/deploy/test_docs_links.py"]


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def _resolve_doc(name: str) -> Path:
    path = ROOT / name
    return path if path.exists() or name.startswith("docs/") else ROOT / "docs" / name


def _link_problems(doc: Path) -> list[str]:
    problems = []
    for number, line in enumerate(_prose_lines(doc), start=1):
        for text, target in LINK.findall(INLINE_CODE.sub("", line)):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):          # http:, https:, mailto:
                continue
            where, _, anchor = target.partition("#")
            file = (doc.parent / where).resolve() if where else doc
            at = f"{_rel(doc)}:{number}: [{text}]({target})"
            if not file.exists():
                problems.append(f"{at}: no such file")
            elif anchor and file.suffix == ".md" and anchor not in anchors(file):
                problems.append(f"{at}: no heading with the anchor #{anchor} in {_rel(file)}")
        for n, anchor in LINKED_SECTION.findall(line):
            if not anchor.startswith(f"{n}-"):
                problems.append(f"{_rel(doc)}:{number}: a link to section {n} points at #{anchor}")
    return problems


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_lands(doc):
    assert _link_problems(doc) == []


def test_every_named_heading_and_section_exists():
    operations = ROOT / "docs" / "operations.md"
    numbered = sections(operations)
    problems = []
    for path in _tracked():
        text = path.read_text(encoding="utf-8", errors="replace")
        flat = re.sub(r"\s*\n\s*(#\s*)?", " ", text)     # a reference wrapped over comment lines
        for name, title in TITLED.findall(flat):
            doc = _resolve_doc(name)
            if not doc.exists():
                problems.append(f"{path.relative_to(ROOT)}: {name} does not exist")
            elif not names_heading(doc, title):
                problems.append(f"{path.relative_to(ROOT)}: {name} has no heading {title!r}")
        for title in README_TITLED.findall(flat):
            if not names_heading(ROOT / "README.md", title):
                problems.append(f"{path.relative_to(ROOT)}: README.md has no heading {title!r}")
        for n in SECTION.findall(flat):
            if int(n) not in numbered:
                problems.append(f"{path.relative_to(ROOT)}: operations.md has no section {n}")
    for n in OWN_SECTION.findall(re.sub(r"\s*\n\s*", " ", "\n".join(_prose_lines(operations)))):
        if int(n) not in numbered:
            problems.append(f"docs/operations.md: its own section {n} does not exist")
    assert problems == []


def test_the_rules_find_what_is_wrong(tmp_path):
    """The checks themselves: a wrong anchor, a missing file, a missing title or section is found."""
    doc = tmp_path / "d.md"
    (tmp_path / "other.md").write_text("## 2. Some words\n", encoding="utf-8")
    doc.write_text("# Title: one\n\n## 2. Some words (issue 4)\n\n```\n# not a heading\n```\n"
                   "[a](#title-one) [b](#2-some-words-issue-4) [c](#not-a-heading) [d](missing.md)\n"
                   "[see section 3](other.md#2-some-words)\n", encoding="utf-8")
    found = _link_problems(doc)
    assert len(found) == 3 and "#not-a-heading" in found[0] and "missing.md" in found[1] and "section 3" in found[2]
    assert names_heading(doc, "Some words") and names_heading(doc, "Title")
    assert not names_heading(doc, "Some") and not names_heading(doc, "Title: two")
    assert sections(doc) == {2}


@pytest.mark.parametrize("heading, anchor", [
    ("14. Several web servers: PostgreSQL and Redis", "14-several-web-servers-postgresql-and-redis"),
    ("`addresses.csv`: 一标三实 · 标准地址 (standard addresses)", "addressescsv-一标三实--标准地址-standard-addresses"),
    ("分析师笔记本 / Notebooks for analysts", "分析师笔记本--notebooks-for-analysts"),
    ("Several web servers: the state in PostgreSQL, the cache in Redis (issue 24)",
     "several-web-servers-the-state-in-postgresql-the-cache-in-redis-issue-24"),
    ("The open read API (issue 22; cockpit/api/, docs/api/openapi.yaml)",
     "the-open-read-api-issue-22-cockpitapi-docsapiopenapiyaml"),
])
def test_anchors_as_github_makes_them(heading, anchor):
    assert slug(heading) == anchor


@given(st.text(min_size=1, max_size=40))
def test_an_anchor_is_lower_case_without_spaces_or_punctuation(heading):
    anchor = slug(heading)
    assert " " not in anchor and anchor == anchor.lower()
    assert all(c in "-_" or unicodedata.category(c)[0] in "LNM" for c in anchor)
