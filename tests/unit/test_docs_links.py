"""The repository's docs stand on their own: every relative Markdown link resolves (file and
heading), and no file names a Markdown file that the repository does not hold.

A reader who clones the project has nothing else: a link or a "see X.md" that leads nowhere is a
dead end. The checks run over the files git knows (tracked, or new and not ignored), so build
output, `.venv` and `node_modules` stay out.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
THIS_FILE = Path(__file__).resolve()

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_INLINE_LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.MULTILINE)
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
# A file name ending in .md, with any directory part; the lookbehind keeps it whole.
_MARKDOWN_NAME = re.compile(r"(?<![\w./-])([\w./-]*[\w-]\.md)\b")
_EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _without_code(text: str) -> str:
    """Markdown with fenced blocks and code spans blanked: links there are examples, not links."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def heading_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a document's headings (lower case, punctuation dropped, spaces to
    hyphens, a repeated anchor numbered -1, -2, ...)."""
    anchors: set[str] = set()
    for match in _HEADING.finditer(_FENCE.sub("", markdown)):
        title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match.group(1))  # a link's text only
        slug = "".join(
            char
            for char in title.lower()
            if char in " -_" or unicodedata.category(char)[0] in "LN"  # letters and digits
        ).replace(" ", "-")
        candidate, number = slug, 0
        while candidate in anchors:
            number += 1
            candidate = f"{slug}-{number}"
        anchors.add(candidate)
    return anchors


def broken_links(markdown_file: Path, root: Path) -> list[str]:
    """Each relative link in `markdown_file` whose file, or heading in a Markdown file, is missing."""
    text = markdown_file.read_text(encoding="utf-8")
    body = _without_code(text)
    targets = [m.group(1) for m in _INLINE_LINK.finditer(body)] + [m.group(1) for m in _REFERENCE_LINK.finditer(body)]
    broken = []
    for target in targets:
        if _EXTERNAL.match(target):
            continue  # http:, https:, mailto: ...: not the repository's business
        path_part, _, anchor = target.partition("#")
        path = (markdown_file.parent / path_part).resolve() if path_part else markdown_file
        if not path.exists() or not path.is_relative_to(root):
            broken.append(f"{target}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in heading_anchors(path.read_text(encoding="utf-8")):
            broken.append(f"{target}: no heading with that anchor")
    return broken


def missing_markdown_names(file: Path, root: Path) -> list[str]:
    """Markdown file names mentioned in `file` that exist neither beside it nor from the root."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return []  # not a text file
    missing = []
    for match in _MARKDOWN_NAME.finditer(text):
        if match.start() > 0 and text[match.start() - 1] == ":":
            continue  # the tail of a URL (https://...README.md): not a file of ours
        name = match.group(1)
        if not any((base / name).is_file() for base in (file.parent, root)):
            missing.append(name)
    return missing


def repository_files(root: Path) -> list[Path]:
    """The files git knows in `root`: tracked, or new and not ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    return [root / name for name in listed.split("\0") if name and (root / name).is_file()]


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


# ---- the repository itself ------------------------------------------------------------------------


def test_every_relative_markdown_link_resolves() -> None:
    markdown = [path for path in repository_files(ROOT) if path.suffix == ".md"]
    assert ROOT / "README.md" in markdown and ROOT / "docs" / "design.md" in markdown

    problems = {_relative(path): broken_links(path, ROOT) for path in markdown}

    assert {path: found for path, found in problems.items() if found} == {}


def test_no_file_names_a_markdown_file_the_repository_does_not_hold() -> None:
    # This module's own examples below name missing files on purpose.
    files = [path for path in repository_files(ROOT) if path.resolve() != THIS_FILE]

    problems = {_relative(path): missing_markdown_names(path, ROOT) for path in files}

    assert {path: found for path, found in problems.items() if found} == {}


# ---- the checks themselves, on a small made-up repository ----------------------------------------


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text("# Guide\n\n## Keys and tables\n\n## Keys and tables\n")
    (tmp_path / "app.py").write_text("")
    return tmp_path


def test_a_link_to_an_existing_file_and_heading_passes(sample: Path) -> None:
    readme = sample / "README.md"
    readme.write_text(
        "[guide](docs/guide.md), [keys](docs/guide.md#keys-and-tables), [again](docs/guide.md#keys-and-tables-1),"
        " [code](app.py), [web](https://example.com/x.md), [top](#intro)\n\n# Intro\n\n"
        "```\n[not a link](nowhere.md)\n```\n[ref]: docs/guide.md\n"
    )

    assert broken_links(readme, sample) == []


def test_a_link_to_a_missing_file_or_heading_is_reported(sample: Path) -> None:
    readme = sample / "README.md"
    readme.write_text(
        "[a](docs/gone.md) [b](docs/guide.md#no-such-part) [c](../outside.md) [d](#nowhere)\n\n[e]: lost.py\n"
    )

    assert broken_links(readme, sample) == [
        "docs/gone.md: no such file",
        "docs/guide.md#no-such-part: no heading with that anchor",
        "../outside.md: no such file",
        "#nowhere: no heading with that anchor",
        "lost.py: no such file",
    ]


def test_a_named_markdown_file_must_exist_beside_the_file_or_from_the_root(sample: Path) -> None:
    module = sample / "docs" / "notes.py"
    module.write_text(
        '"""See guide.md and docs/guide.md; the team\'s NOTES.md and ../elsewhere/seed/example.md are not here.\n'
        'Online: https://github.com/o/r/blob/main/OTHER.md."""\n'
    )

    assert missing_markdown_names(module, sample) == ["NOTES.md", "../elsewhere/seed/example.md"]


def test_heading_anchors_follow_github() -> None:
    markdown = "# Operator tool (`python -m client`)\n## The reference's behaviour\n## 1. Install, then run!\n"

    assert heading_anchors(markdown) == {
        "operator-tool-python--m-client",
        "the-references-behaviour",
        "1-install-then-run",
    }
