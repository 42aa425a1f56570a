"""A new item is one edit in `schemas/`: a required number added to a section reaches the form,
the database column, the demo's declarations, the site's checklist and the data dictionary, with
nothing else changed (the model is swapped for a copy that has the item)."""

from __future__ import annotations

import dataclasses
import random

import pytest

import schemas
from checklist_app import demo, storage
from checklist_app.site import pages
from checklist_app.web.forms import form_class, form_from_raw, validated
from schemas import READY, Condition, CountySettings, dictionary, examples, verdict
from schemas.base import Requirement, item
from schemas.readiness import MAX_STOCK, SECTIONS, Supplies, declaration_model

LABEL = "免洗洗手液储备(瓶)"


class SuppliesWithSanitiser(Supplies):
    sanitiser_bottles: int = item(
        LABEL,
        ge=0,
        le=MAX_STOCK,
        condition=Condition.C2,
        policy=Supplies.policy,
        requires=Requirement(lambda v, _d, _s: v >= 3, "需至少 3 瓶"),
    )


NEW_SECTIONS = tuple(SuppliesWithSanitiser if s is Supplies else s for s in SECTIONS)
NewDeclaration = declaration_model(NEW_SECTIONS)


@pytest.fixture
def new_schema(monkeypatch):
    """The references to the declaration and its sections, pointed at the copy with the item."""
    monkeypatch.setattr(schemas, "SECTIONS", NEW_SECTIONS)
    monkeypatch.setattr(examples, "Declaration", NewDeclaration)
    monkeypatch.setitem(dictionary.TABLE_MODELS, "declarations", NewDeclaration)
    for table in ("declarations", "latest_declarations"):
        public = dataclasses.replace(dictionary.PUBLIC_TABLES[table], model=NewDeclaration)
        monkeypatch.setitem(dictionary.PUBLIC_TABLES, table, public)


def test_the_form_asks_for_the_new_item_and_requires_it(app, new_schema):
    form = form_class(SuppliesWithSanitiser)
    assert list(form.model.model_fields)[-1] == "sanitiser_bottles"
    whole = examples.declaration_answers()
    answers = {k: str(v) for k, v in whole.items() if k in SuppliesWithSanitiser.model_fields}
    with app.test_request_context():
        assert validated(form_from_raw(SuppliesWithSanitiser, answers)) is not None
        without = form_from_raw(SuppliesWithSanitiser, {k: v for k, v in answers.items() if k != "sanitiser_bottles"})
        assert validated(without) is None
        assert without["sanitiser_bottles"].errors == [f"请填写{LABEL}"]


def test_the_database_gets_the_new_column(new_schema):
    assert storage.model_columns(NewDeclaration)["sanitiser_bottles"] is int
    db = storage.open_db(":memory:")
    storage.migrate(db)
    assert db["declarations"].columns_dict["sanitiser_bottles"] is int
    assert "sanitiser_bottles" in db["latest_declarations"].columns_dict


def test_the_demo_declares_the_new_item_and_meets_it(new_schema):
    settings = CountySettings(epidemic_controlled=True)
    answers = demo.declaration_answers(random.Random(7), True, settings)
    assert answers["sanitiser_bottles"] == 3  # the least the requirement accepts
    declaration = NewDeclaration.model_validate(answers)
    assert verdict(declaration, settings).value == READY


def test_the_site_checklist_lists_the_new_item(new_schema):
    row = next(line for line in pages.checklist_markdown().splitlines() if LABEL in line)
    assert "条件二 学校基本防控条件具备" in row and "需至少 3 瓶" in row


def test_the_data_dictionary_describes_the_new_column(new_schema):
    assert f"| `sanitiser_bottles` | INTEGER | {LABEL} |" in pages.data_dictionary_markdown()


# --- the things defined once ------------------------------------------------------------------


def test_the_eight_place_counts_have_one_label_in_the_declaration_and_the_ledger():
    from schemas.ledger import LedgerReport
    from schemas.places import PLACE_COUNTS
    from schemas.readiness import People

    for name in PLACE_COUNTS:
        assert People.model_fields[name].title == LedgerReport.model_fields[name].title
    assert LedgerReport.model_fields["staff_in_county"].title == "教职工在本县内人数"


@pytest.mark.parametrize(
    "model, build",
    [
        (schemas.Declaration, examples.declaration_answers),
        (schemas.Pledge, examples.pledge_answers),
        (examples.LedgerReport, examples.ledger_answers),
    ],
)
def test_the_built_answers_are_valid(model, build):
    assert model.model_validate(build()) is not None


def test_a_rule_that_reads_an_answer_not_given_waits():
    answers = examples.declaration_answers(staff_in_county=1)
    assert ("staff_total", "教职工在本县内、县外省内、省外的人数之和应等于教职工总数") in (
        schemas.Declaration.broken_rules(answers)
    )
    del answers["staff_total"]
    assert all(field != "staff_total" for field, _ in schemas.Declaration.broken_rules(answers))


def test_only_the_bureaus_own_organisation_does_not_declare():
    assert not schemas.declares(schemas.BUREAU_KIND)
    assert all(schemas.declares(kind) for kind in schemas.KINDS.values() if kind != schemas.BUREAU_KIND)
