"""One name: the deployment's county.toml names the bureau for the site, the app and the exports."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from click.testing import CliRunner

from checklist_app import create_app, deployment, storage
from checklist_app.cli import main as cli
from schemas import CountySettings
from tests.bureau_support import create_admin, login
from tests.conftest import build_site

OTHER = """level = "city"
region_code = "220300"
region_name = "某某市"
bureau_name = "某某市教育局"
"""


@pytest.fixture
def other_config(tmp_path, monkeypatch):
    path = tmp_path / "county.toml"
    path.write_text(OTHER, encoding="utf-8")
    monkeypatch.setenv(deployment.CONFIG_ENV, str(path))
    return path


def test_the_repository_county_toml_names_the_seed_county(monkeypatch):
    monkeypatch.delenv(deployment.CONFIG_ENV, raising=False)
    config = deployment.load()
    assert (config.level, config.region_code) == ("county", "220323")
    assert (config.region_name, config.bureau_name) == ("伊通满族自治县", "伊通满族自治县教育局")


def test_checklist_config_names_another_file(other_config):
    assert deployment.config_path() == other_config
    assert deployment.load().bureau_name == "某某市教育局"


@pytest.mark.parametrize(
    "text, words",
    [
        (OTHER.replace('"city"', '"town"'), "level（行政级别）须为 county、city 或 province 之一"),
        (OTHER.replace('"220300"', '"22030"'), "region_code（行政区划代码）须为六位数字"),
        (OTHER.replace('region_code = "220300"\n', ""), "缺少 region_code（行政区划代码）"),
        (OTHER.replace('"某某市教育局"', '"局"'), "bureau_name（教育行政部门名称）须为 2 至 40 个字"),
        (OTHER + "mask_days = 14\n", "不认识的键 mask_days"),
        ("level = county\n", "不是有效的 TOML"),
    ],
)
def test_a_bad_file_is_refused_with_a_chinese_message_naming_the_key(tmp_path, text, words):
    path = tmp_path / "county.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(deployment.DeploymentError, match=words) as raised:
        deployment.load(path)
    assert str(path) in str(raised.value)


def test_a_missing_file_is_named_with_the_variable_that_names_another(tmp_path):
    with pytest.raises(deployment.DeploymentError, match="找不到部署配置文件.*CHECKLIST_CONFIG"):
        deployment.load(tmp_path / "none.toml")


def test_the_command_line_says_what_is_wrong_with_the_file_without_a_traceback(tmp_path, monkeypatch):
    path = tmp_path / "county.toml"
    path.write_text(OTHER.replace('"city"', '"town"'), encoding="utf-8")
    monkeypatch.setenv(deployment.CONFIG_ENV, str(path))
    monkeypatch.setenv("CHECKLIST_DB", str(tmp_path / "checklist.db"))
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 1
    assert "level（行政级别）" in result.output and "Traceback" not in result.output


def make_app(tmp_path):
    return create_app({"DATABASE": str(tmp_path / "checklist.db"), "SECRET_KEY": "k", "TESTING": True})


def test_the_app_pages_carry_the_bureau_name_of_the_file(other_config, tmp_path):
    client = make_app(tmp_path).test_client()
    for url in ("/school/login", "/bureau/login"):
        page = client.get(url).get_data(as_text=True)
        assert "<title>" in page and "某某市教育局开学工作平台" in page, url
        assert "伊通" not in page and "县教育局" not in page, url


def test_the_xlsx_export_is_titled_with_the_bureau_name_of_the_file(other_config, tmp_path):
    app = make_app(tmp_path)
    db = storage.open_db(app.config["DATABASE"])
    create_admin(db)
    client = app.test_client()
    login(client)
    response = client.get("/bureau/export/checklist.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.properties.title == "某某市教育局"


def test_the_settings_form_no_longer_asks_for_the_bureau_name(tmp_path):
    app = make_app(tmp_path)
    db = storage.open_db(app.config["DATABASE"])
    create_admin(db)
    client = app.test_client()
    login(client)
    page = client.get("/bureau/settings").get_data(as_text=True)
    assert 'name="mask_days"' in page and 'name="bureau_name"' not in page
    assert "bureau_name" not in CountySettings.model_fields


def test_a_bureau_name_stored_by_an_older_release_is_ignored(tmp_path):
    app = make_app(tmp_path)
    db = storage.open_db(app.config["DATABASE"])
    db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('bureau_name', ?)", [json.dumps("旧县教育局")])
    db.conn.commit()
    storage.migrate(db)  # a start is not stopped by it
    assert storage.load_settings(db) == CountySettings()
    create_admin(db)
    client = app.test_client()
    login(client)
    page = client.get("/bureau/").get_data(as_text=True)
    assert "伊通满族自治县教育局开学工作平台" in page and "旧县教育局" not in page


def test_the_site_masthead_carries_the_bureau_name_of_the_file(other_config, tmp_path):
    out = tmp_path / "site"
    result = build_site(out)
    assert result.returncode == 0, result.stdout + result.stderr
    home = (out / "index.html").read_text(encoding="utf-8")
    assert "<title>首页 - 某某市教育局开学工作平台</title>" in home
    assert '<h1 id="某某市教育局开学工作平台">' in home or "某某市教育局开学工作平台</h1>" in home
    speech = out / "directives" / "speech" / "index.html"  # the seed county's speech, as given
    for page in set(out.rglob("*.html")) - {speech}:
        text = page.read_text(encoding="utf-8")
        assert "伊通" not in text and "县教育局" not in text, page
