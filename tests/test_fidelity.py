"""docs/fidelity.md, the speech's requirements traced into the product: every site heading and every
field the table names exists, and every sentence it quotes is the speech's own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from schemas import CountySettings, Declaration, Pledge
from schemas.ledger import LedgerReport

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "docs" / "fidelity.md"
CONTENT = ROOT / "content"
SPEECH = CONTENT / "directives" / "speech.md"
COLUMNS = ["#", "讲话原句", "网站（页面#标题）", "申报字段", "承诺项", "台账字段", "县级设置", "说明"]
MODELS = {"申报字段": Declaration, "承诺项": Pledge, "台账字段": LedgerReport, "县级设置": CountySettings}
CODE = re.compile(r"`([^`]+)`")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*(?:\{[^}]*\})?$", re.M)


def rows() -> list[dict[str, str]]:
    lines = [line for line in TABLE.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header == COLUMNS
    return [dict(zip(COLUMNS, (c.strip() for c in line.strip("|").split("|")), strict=True)) for line in lines[2:]]


def headings(page: str) -> set[str]:
    return {match.group(1) for match in HEADING.finditer((CONTENT / page).read_text(encoding="utf-8"))}


def bare(text: str) -> str:
    """Text without punctuation or spaces, so a quote matches however the page punctuates it."""
    return re.sub(r"[\s，。：；、？！“”（）…,.:;?!()#*]", "", text)


ROWS = rows()


def test_the_table_traces_about_every_requirement_sentence():
    assert len(ROWS) >= 60
    assert [row["#"] for row in ROWS] == [str(n) for n in range(1, len(ROWS) + 1)]


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row["#"])
def test_each_quoted_sentence_is_the_speech_s_own(row):
    quote = row["讲话原句"].strip("“”")
    body = bare(SPEECH.read_text(encoding="utf-8"))
    for part in quote.split("……"):
        assert bare(part) in body, part


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row["#"])
def test_each_row_is_carried_somewhere_or_says_why_not(row):
    carried = any(CODE.search(row[column]) for column in COLUMNS[2:7])
    assert carried, row["讲话原句"]
    fields = any(CODE.search(row[column]) for column in MODELS)
    assert fields or row["说明"] != "—", f"no field and no reason: {row['讲话原句']}"


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row["#"])
def test_each_site_heading_named_exists_in_content(row):
    for reference in CODE.findall(row["网站（页面#标题）"]):
        page, _, heading = reference.partition("#")
        assert (CONTENT / page).is_file(), reference
        assert heading in headings(page), reference


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row["#"])
def test_each_field_named_exists_in_its_model(row):
    for column, model in MODELS.items():
        for field in CODE.findall(row[column]):
            assert field in model.model_fields, f"{column} {field} is not a field of {model.__name__}"
