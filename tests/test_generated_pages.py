"""The site's pages generated from schemas/: every label, every pledge line, every policy link."""

import html
import re

import pytest

import schemas
from checklist_app import storage
from schemas import Condition, meta
from schemas.dictionary import PUBLIC_TABLES, public_columns
from schemas.settings import CountySettings


def page_html(built_site, path: str) -> str:
    return (built_site / path / "index.html").read_text(encoding="utf-8")


def visible_text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def all_policies():
    models = [*schemas.SECTIONS, schemas.Pledge, CountySettings]
    found = {section.policy for section in schemas.SECTIONS}
    for model in models:
        found |= {meta(info)["policy"] for info in model.model_fields.values() if meta(info).get("policy")}
    return sorted(found, key=lambda p: (p.page, p.heading))


@pytest.mark.parametrize("policy", all_policies(), ids=lambda p: f"{p.page}#{p.heading}")
def test_every_policy_reference_resolves_to_a_real_heading_id(built_site, policy):
    assert f'id="{policy.anchor}"' in page_html(built_site, policy.path)


def test_checklist_page_holds_every_spec_label_with_its_condition(built_site):
    text = visible_text(page_html(built_site, "checklist/"))
    for section in schemas.SECTIONS:
        assert section.title in text
        for info in section.model_fields.values():
            assert info.title in text
    for label in Condition.LABELS.values():
        assert label in text


def test_checklist_page_names_each_items_group_by_its_words_as_the_bureaus_standard(built_site):
    article = page_html(built_site, "checklist/").split("<article", 1)[1].split("</article>", 1)[0]
    text = visible_text(re.sub(r"<(script|style)\b.*?</\1>", "", article, flags=re.S))
    assert schemas.SELF_CHECK_STANDARD in text
    assert re.findall(r"(?<![A-Za-z0-9_])(C1|C2|C3|T)(?![A-Za-z0-9_])", text) == []
    for code in Condition.LABELS:
        assert Condition.words(code) in text


def test_checklist_page_says_stock_figures_are_judged_only_by_a_standard_the_county_sets():
    from checklist_app.site import pages

    rows = {line.split(" | ")[1]: line for line in pages.checklist_markdown().splitlines() if line.startswith("| ")}
    assert "本县设定标准时：每人每天1个，按本县规定的天数计" in rows["口罩储备（个）（选填）"]
    assert "本县设定标准时：不少于本县规定的台数" in rows["测温仪器储备（台）（选填）"]
    registered = rows["已实名注册“人人有码码上行动”的教职工人数"]
    assert "条件" not in registered and "不能超过教职工总数" in registered


def test_pledge_page_shows_the_very_text_the_form_shows(built_site):
    text = visible_text(page_html(built_site, "pledge-text/"))
    for line in schemas.pledge_text().splitlines():
        assert line in text, line


def test_data_dictionary_lists_every_downloaded_table_and_column(built_site, tmp_path):
    text = visible_text(page_html(built_site, "data-dictionary/"))
    db = storage.open_db(tmp_path / "d.db")
    storage.migrate(db)
    for table in PUBLIC_TABLES:
        assert table in text
        for column in db[table].columns_dict:
            if column in public_columns(table):
                assert column in text
            else:
                assert column not in text
