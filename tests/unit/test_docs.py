"""The theory manual (docs/theory.md) and the check list (docs/validation.md) are the project's own
references: no file may cite the external documents they replace, every `docs/theory.md §N` and
`docs/validation.md item N` citation must point at a section / item that exists, and every key
of the physics sections of the case schema must be documented in the theory manual.

Pure Python (no DOLFINx): reads the text files of the repository and ``solver.config.SCHEMA``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
THEORY = ROOT / "docs" / "theory.md"
VALIDATION = ROOT / "docs" / "validation.md"

# what is scanned: the text files of the source tree, not environments, caches or run outputs
SKIP_DIRS = {"runs", "mesh", "bench-results", "build", "dist", "node_modules", "__pycache__"}
SUFFIXES = {".py", ".md", ".toml", ".txt", ".rst", ".cfg", ".ini", ".yml", ".yaml", ".sh", ".def"}
NAMES = {"Makefile", "Dockerfile"}

# The external documents (upper-case names, with or without ".md", with an item or § number).
EXTERNAL = re.compile(r"\b(?:PHYSICS|VALIDATION)(?:\.md\b|\s+(?:items?\s+)?\d|\s*§)")
NUMBER = r"\d+(?:\.\d+)*"
LIST_SEP = r"\s*(?:,|and|&|–|-|to)\s*"
THEORY_CITE = re.compile(rf"docs/theory\.md\s*§\s*({NUMBER}(?:{LIST_SEP}§?\s*{NUMBER})*)")
ITEM_CITE = re.compile(rf"docs/validation\.md,?\s*items?\s+(\d+(?:{LIST_SEP}\d+)*)")
SECTION_HEADING = re.compile(rf"^#{{2,4}}\s+({NUMBER})\.?\s", re.M)
ITEM_HEADING = re.compile(r"^#{2,4}\s+(\d+)\.\s", re.M)
DOCUMENTED_SECTIONS = ("interface", "loading", "physics", "thermal", "ageing")


def _text_files() -> list[Path]:
    out = []
    stack = [ROOT]
    while stack:
        d = stack.pop()
        for p in sorted(d.iterdir()):
            if p.is_dir():
                if not (p.name.startswith(".") or p.name in SKIP_DIRS or p.suffix == ".egg-info"):
                    stack.append(p)
            elif p.suffix in SUFFIXES or p.name in NAMES:
                out.append(p)
    return out


@pytest.fixture(scope="module")
def texts() -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8", errors="replace") for p in _text_files()}


def _where(path: Path, text: str, pos: int) -> str:
    return f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, pos) + 1}"


def test_docs_exist():
    assert THEORY.is_file() and VALIDATION.is_file()
    readme = (ROOT / "README.md").read_text()
    assert "docs/theory.md" in readme and "docs/validation.md" in readme


def test_no_citation_of_external_documents(texts):
    hits = [
        f"{_where(p, t, m.start())}: {m.group(0)!r}"
        for p, t in texts.items()
        for m in EXTERNAL.finditer(t)
    ]
    assert not hits, "cite docs/theory.md §N / docs/validation.md item N instead:\n" + "\n".join(
        hits
    )


def test_sections_and_items_are_numbered_in_order():
    top = [int(s) for s in SECTION_HEADING.findall(THEORY.read_text()) if "." not in s]
    assert top == list(range(1, len(top) + 1)) and len(top) >= 10, top
    items = [int(s) for s in ITEM_HEADING.findall(VALIDATION.read_text())]
    assert items == list(range(1, len(items) + 1)) and len(items) >= 19, items


def test_every_citation_points_at_an_existing_section_or_item(texts):
    sections = set(SECTION_HEADING.findall(THEORY.read_text()))
    items = set(ITEM_HEADING.findall(VALIDATION.read_text()))
    bad, seen = [], 0
    for p, t in texts.items():
        for pattern, known, what in ((THEORY_CITE, sections, "§"), (ITEM_CITE, items, "item ")):
            for m in pattern.finditer(t):
                seen += 1
                for ref in re.findall(NUMBER, m.group(1)):
                    if ref not in known:
                        bad.append(f"{_where(p, t, m.start())}: {what}{ref} in {m.group(0)!r}")
    assert seen > 0
    assert not bad, "citations of missing sections / items:\n" + "\n".join(bad)


def _key_tables(doc: str) -> dict[str, set[str]]:
    """Backticked names in the first column of the tables under a heading naming ``[section]``."""
    found: dict[str, set[str]] = {sec: set() for sec in DOCUMENTED_SECTIONS}
    current: list[str] = []
    for line in doc.splitlines():
        if line.startswith("#"):
            current = [sec for sec in DOCUMENTED_SECTIONS if f"[{sec}]" in line]
        elif line.startswith("|") and current:
            first = line.split("|")[1]
            for sec in current:
                found[sec].update(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", first))
    return found


def test_every_physics_key_is_in_the_theory_manual():
    from solver.config import SCHEMA

    doc = THEORY.read_text()
    tables = _key_tables(doc)
    missing = [
        f"{sec}.{key}"
        for sec in DOCUMENTED_SECTIONS
        for key in SCHEMA[sec]
        if key not in tables[sec] and f"`{sec}.{key}`" not in doc
    ]
    assert not missing, f"not documented in docs/theory.md: {missing}"
