"""Chinese text takes full-width punctuation (GB/T 15834) wherever a user reads it.

Walks every string literal of the app and the schemas (docstrings aside), every template, the theme overrides and
the site's Markdown, and fails on a half-width , : ; ! ? ( ) beside a Chinese character. A
Markdown link's target `](…)` is an address, not text, and is left out.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from checklist_app import REPO_ROOT

HAN = "\u3400-\u9fff\uf900-\ufaff"
HALF_WIDTH_BESIDE_CHINESE = re.compile(rf"[{HAN}][,:;!?()]|[,:;!?()][{HAN}]")
LINK_TARGET = re.compile(r"\]\([^)]*\)")


def half_width_in(text: str) -> list[str]:
    return [m.group() for m in HALF_WIDTH_BESIDE_CHINESE.finditer(LINK_TARGET.sub("]", text))]


def python_strings(path: Path):
    """Every string literal but docstrings (English, for developers)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def text_lines(path: Path):
    yield from enumerate(path.read_text(encoding="utf-8").splitlines(), 1)


SOURCES = [
    *((p, python_strings) for p in sorted((REPO_ROOT / "checklist_app").rglob("*.py"))),
    *((p, python_strings) for p in sorted((REPO_ROOT / "schemas").rglob("*.py"))),
    *((p, text_lines) for p in sorted((REPO_ROOT / "checklist_app" / "templates").rglob("*.html"))),
    *((p, text_lines) for p in sorted((REPO_ROOT / "overrides").rglob("*.html"))),
    *((p, text_lines) for p in sorted((REPO_ROOT / "content").rglob("*.md"))),
    (REPO_ROOT / "county.toml", text_lines),
]


def test_the_walk_finds_the_places_users_read():
    kinds = {p.suffix for p, _ in SOURCES}
    assert {".py", ".html", ".md"} <= kinds and len(SOURCES) > 100


@pytest.mark.parametrize(
    "text, found", [("学校(示例)", ["校(", "例)"]), ("请填写:姓名", ["写:"]), ("学校（示例）", [])]
)
def test_the_check_sees_half_width_marks_beside_chinese_and_only_those(text, found):
    assert half_width_in(text) == found


def test_a_markdown_link_target_is_an_address_not_text():
    assert half_width_in("见[师生管理](../prevention/management.md#师生管理)。") == []


@pytest.mark.parametrize("path, read", SOURCES, ids=[str(p.relative_to(REPO_ROOT)) for p, _ in SOURCES])
def test_chinese_text_has_full_width_punctuation(path, read):
    problems = [f"{path.name}:{line}: {text.strip()[:60]!r}" for line, text in read(path) if half_width_in(text)]
    assert problems == []
