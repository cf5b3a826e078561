"""The product stands on its own: nothing in the repository points outside it, and every
rule citation in the code ("docs/rules/coding.md §2.1", "docs/rules/claims.md "Coverage in
force"") names a page and a section that exist (docs/rules/README.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".venv", ".git", "var", "__pycache__", ".pytest_cache", ".ruff_cache"}
TEXT_SUFFIXES = {".py", ".md", ".html", ".txt", ".toml", ".cfg", ".ini", ".js", ".css", ""}
# Spelled in pieces so this file does not match itself.
# The founders' private notes (DOMAIN, DESIGN and STYLE) are not in the repository either.
OUTSIDE = ("DOMAIN" + ".md", "DESIGN" + ".md", "STYLE" + ".md", ".." + "/shared")

# "docs/rules/coding.md §2.1", "`docs/rules/coding.md` §7–§9", "docs/rules/coding.md §3, §5",
# and "docs/rules/claims.md "Coverage in force"" (a page whose headings are not numbered).
CITATION = re.compile(
    r"docs/rules/(?P<page>[\w-]+\.md)`?"
    r"(?P<sections>(?:\s*(?:,|and)?\s*§\d+(?:\.\d+)*[a-z]?(?:\s*[–-]\s*§\d+(?:\.\d+)*[a-z]?)?)*)"
    r"(?:\s+\"(?P<heading>[^\"\n]+)\")?"
)
SECTION = re.compile(r"§(\d+(?:\.\d+)*[a-z]?)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.MULTILINE)
NUMBERED = re.compile(r"^(\d+(?:\.\d+)*[a-z]?)\.?\s")
DOC_PATH = re.compile(r"(?<![\w/.])docs/[\w/-]+\.md")


def repository_files() -> list[Path]:
    found = []
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if any(part in SKIP_DIRS or part.endswith(".egg-info") for part in parts):
            continue
        if path.is_file():
            found.append(path)
    return found


def text_files() -> list[Path]:
    """Our own text files (third-party code under static/vendor is not ours to cite)."""
    return [
        p
        for p in repository_files()
        if p.suffix in TEXT_SUFFIXES and "vendor" not in p.relative_to(ROOT).parts
    ]


def headings(page: Path) -> tuple[set[str], set[str]]:
    """(section numbers, heading texts) of a Markdown page."""
    numbers, titles = set(), set()
    for title in HEADING.findall(page.read_text()):
        titles.add(title)
        if match := NUMBERED.match(title):
            numbers.add(match.group(1))
    return numbers, titles


def citations() -> list[tuple[str, str, str, str | None]]:
    """(file, page, sections text, quoted heading) for every citation of docs/rules."""
    found = []
    for path in text_files():
        text = path.read_text(errors="replace")
        for match in CITATION.finditer(text):
            found.append(
                (
                    str(path.relative_to(ROOT)),
                    match.group("page"),
                    match.group("sections"),
                    match.group("heading"),
                )
            )
    return found


def test_no_file_in_the_repository_cites_a_file_outside_it():
    offenders = []
    for path in repository_files():
        data = path.read_bytes()
        offenders += [
            f"{path.relative_to(ROOT)}: {needle}" for needle in OUTSIDE if needle.encode() in data
        ]
    assert offenders == []


def test_the_code_cites_the_rule_pages_by_section():
    """Guards the test below against a pattern that silently matches nothing."""
    cited = citations()
    assert len(cited) > 50
    assert any(sections for _, _, sections, _ in cited)
    assert any(heading for *_, heading in cited)


def test_every_rule_citation_names_an_existing_page_and_section():
    broken = []
    for where, page, sections, heading in citations():
        path = ROOT / "docs" / "rules" / page
        if not path.is_file():
            broken.append(f"{where}: docs/rules/{page} does not exist")
            continue
        numbers, titles = headings(path)
        broken += [
            f"{where}: docs/rules/{page} has no section §{number}"
            for number in SECTION.findall(sections)
            if number not in numbers
        ]
        if heading and heading not in titles:
            broken.append(f'{where}: docs/rules/{page} has no heading "{heading}"')
    assert broken == []


@pytest.mark.parametrize("page", sorted((ROOT / "docs" / "rules").glob("*.md")), ids=str)
def test_every_rule_page_is_listed_in_the_index(page):
    if page.name != "README.md":
        assert f"({page.name})" in (ROOT / "docs" / "rules" / "README.md").read_text()


def test_every_docs_page_named_in_the_repository_exists():
    missing = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in text_files()
        for name in DOC_PATH.findall(path.read_text(errors="replace"))
        if not (ROOT / name).is_file()
    ]
    assert missing == []
