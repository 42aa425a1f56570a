"""Townships and schools in the order Chinese readers expect: by pinyin, not by code point.
By code point 东 (U+4E1C) comes before 城 (U+57CE) and 安 (U+5B89); by pinyin an, cheng, dong."""

from __future__ import annotations

import re

import pytest

from checklist_app import storage
from checklist_app.county import standings
from schemas.collation import by_pinyin, pinyin_key
from tests.bureau_support import create_admin, login, table_codes

TOWNSHIPS_BY_PINYIN = ["安乐镇", "城关镇", "东镇", "西乡"]


@pytest.fixture
def county(db, make_school):
    make_school("D1", "东风小学", "小学", "东镇")
    make_school("D2", "安民小学", "小学", "东镇")
    make_school("C1", "城关中学", "初中", "城关镇")
    make_school("X1", "西乡小学", "小学", "西乡")
    make_school("A1", "安乐小学", "小学", "安乐镇")


def test_pinyin_orders_what_code_points_would_not():
    assert sorted(["东镇", "城关镇", "安乐镇"]) != ["安乐镇", "城关镇", "东镇"]
    assert by_pinyin(["东镇", "西乡", "城关镇", "安乐镇"]) == TOWNSHIPS_BY_PINYIN
    assert pinyin_key("长春")[0][0].startswith("chang")  # a place name read as a phrase


def test_the_dashboard_lists_townships_then_schools_by_pinyin(client, db, county):
    create_admin(db)
    assert login(client).status_code == 302
    html = client.get("/bureau/").get_data(as_text=True)
    assert table_codes(html) == ["A1", "C1", "D2", "D1", "X1"]  # 东镇: 安民 before 东风
    select = re.search(r'<select[^>]*name="township".*?</select>', html, re.S).group(0)
    assert re.findall(r"<option value=\"([^\"]+)\"", select) == TOWNSHIPS_BY_PINYIN


def test_the_codes_page_and_the_lists_to_paste_go_by_pinyin(db, county):
    assert [s["code"] for s in storage.list_schools(db)] == ["A1", "C1", "D2", "D1", "X1"]
    text = standings.grouped_text("未申报：", [("东镇", "东风小学"), ("城关镇", "城关中学"), ("东镇", "安民小学")])
    assert text.splitlines()[1:] == ["城关镇：城关中学", "东镇：安民小学、东风小学"]
