"""The `checklist` command line of PRODUCT.md."""

import csv
import io
import sqlite3

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from checklist_app import storage
from checklist_app.cli import main


@pytest.fixture
def run(tmp_path):
    database = tmp_path / "instance" / "checklist.db"
    runner = CliRunner(env={"CHECKLIST_DB": str(database), "CHECKLIST_BASE_URL": "https://jyj.example.cn"})

    def invoke(*args, input=None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    invoke.database = database
    return invoke


def schools_in(database):
    conn = sqlite3.connect(database)
    return {r[0]: r[1:] for r in conn.execute("SELECT code, name, kind, township FROM schools")}


def write_csv(path, rows, encoding="utf-8-sig"):
    with open(path, "w", newline="", encoding=encoding) as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_init_creates_the_database_and_is_safe_to_run_again(run):
    assert run("init").exit_code == 0
    assert run("init").exit_code == 0
    assert sqlite3.connect(run.database).execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()[0] >= 1


def test_import_csv_with_english_headers(run, tmp_path):
    path = write_csv(
        tmp_path / "s.csv", [["code", "name", "kind", "township"], ["A1", "城关小学", "primary", "城关镇"]]
    )
    result = run("schools", "import", str(path))
    assert result.exit_code == 0, result.output
    assert schools_in(run.database) == {"A1": ("城关小学", "小学", "城关镇")}


def test_import_xlsx_with_chinese_headers(run, tmp_path):
    book = Workbook()
    book.active.append(["学校代码", "学校名称", "学校类型", "乡镇"])
    book.active.append(["B2", "东风中学", "初中", "东风乡"])
    book.save(tmp_path / "s.xlsx")
    assert run("schools", "import", str(tmp_path / "s.xlsx")).exit_code == 0
    assert schools_in(run.database) == {"B2": ("东风中学", "初中", "东风乡")}


def test_import_reads_gb18030_csv_as_excel_saves_it(run, tmp_path):
    path = write_csv(
        tmp_path / "s.csv",
        [["学校代码", "学校名称", "学校类型", "乡镇"], ["C3", "新华小学", "小学", "新华镇"]],
        "gb18030",
    )
    assert run("schools", "import", str(path)).exit_code == 0
    assert schools_in(run.database)["C3"][0] == "新华小学"


def test_malformed_import_names_the_rows_and_changes_nothing(run, tmp_path):
    good = write_csv(
        tmp_path / "good.csv", [["code", "name", "kind", "township"], ["A1", "城关小学", "小学", "城关镇"]]
    )
    run("schools", "import", str(good))
    bad = write_csv(
        tmp_path / "bad.csv",
        [
            ["code", "name", "kind", "township"],
            ["A1", "城关小学(改名)", "小学", "城关镇"],
            ["A2", "新学校", "大学", "城关镇"],
            ["A3", "另一所", "小学", "东风乡"],
            ["A3", "重复的", "小学", "东风乡"],
        ],
    )
    result = run("schools", "import", str(bad))
    assert result.exit_code == 1
    assert "第 3 行" in result.output and "学校类型" in result.output
    assert "第 5 行" in result.output and "与第 4 行重复" in result.output
    assert schools_in(run.database) == {"A1": ("城关小学", "小学", "城关镇")}


def test_import_missing_column_is_refused(run, tmp_path):
    path = write_csv(tmp_path / "s.csv", [["code", "name"], ["A1", "城关小学"]])
    result = run("schools", "import", str(path))
    assert result.exit_code == 1 and "缺少列" in result.output


def test_reimport_updates_name_kind_township_and_keeps_codes_and_links(run, tmp_path):
    first = write_csv(tmp_path / "1.csv", [["code", "name", "kind", "township"], ["A1", "城关小学", "小学", "城关镇"]])
    run("schools", "import", str(first))
    run("schools", "issue-codes")
    db = storage.open_db(run.database)
    before = storage.get_school(db, "A1")
    second = write_csv(
        tmp_path / "2.csv", [["code", "name", "kind", "township"], ["A1", "城关实验小学", "九年一贯制学校", "东风乡"]]
    )
    run("schools", "import", str(second))
    after = storage.get_school(db, "A1")
    assert (after["name"], after["kind"], after["township"]) == ("城关实验小学", "九年一贯制学校", "东风乡")
    assert after["access_code_hash"] == before["access_code_hash"]
    assert after["pledge_token"] == before["pledge_token"]


def test_issue_codes_writes_csv_and_stores_only_hashes(run, tmp_path):
    path = write_csv(
        tmp_path / "s.csv",
        [["code", "name", "kind", "township"], ["A1", "城关小学", "小学", "城关镇"], ["A2", "二小", "小学", "城关镇"]],
    )
    run("schools", "import", str(path))
    out = tmp_path / "codes.csv"
    assert run("schools", "issue-codes", "--school", "A2", "--out", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [r["code"] for r in rows] == ["A2"]
    assert list(rows[0]) == ["code", "name", "access_code", "pledge_url"]
    school = storage.get_school(storage.open_db(run.database), "A2")
    assert rows[0]["pledge_url"] == f"https://jyj.example.cn/pledge/{school['pledge_token']}"
    assert storage.check_secret(school["access_code_hash"], rows[0]["access_code"])
    assert rows[0]["access_code"].encode() not in run.database.read_bytes()


def test_issue_codes_for_an_unknown_school_is_refused(run):
    run("init")
    result = CliRunner(env={"CHECKLIST_DB": str(run.database)}).invoke(
        main, ["schools", "issue-codes", "--school", "NOPE"]
    )
    assert result.exit_code != 0
    assert result.output.strip() == "错误：没有这些学校代码：NOPE。"


def test_admin_create_with_password_stdin(run):
    assert run("admin", "create", "jyj", "--password-stdin", input="a-long-password\n").exit_code == 0
    admin = storage.get_admin(storage.open_db(run.database), "jyj")
    assert admin and "a-long-password" not in admin["password_hash"]


def test_admin_password_too_short_is_refused(run):
    result = CliRunner(env={"CHECKLIST_DB": str(run.database)}).invoke(
        main, ["admin", "create", "jyj", "--password-stdin"], input="short\n"
    )
    assert result.exit_code != 0
    assert "错误：密码至少 10 个字符。" in result.output and "Error" not in result.output


def test_admin_password_typed_twice_must_match(run):
    run("init")
    typed = run("admin", "create", "jyj", input="a-long-password\na-long-passwore\n")
    assert typed.exit_code != 0
    assert "错误：两次输入的密码不一致，账号没有改动。" in typed.output
    assert storage.get_admin(storage.open_db(run.database), "jyj") is None
    typed = run("admin", "create", "jyj", input="a-long-password\na-long-password\n")
    assert typed.exit_code == 0, typed.output
    assert "密码：" in typed.output and "再输入一次密码：" in typed.output
    assert storage.get_admin(storage.open_db(run.database), "jyj") is not None


def test_demo_loads_a_marked_county_and_prints_logins_once(run):
    result = run("demo")
    assert result.exit_code == 0
    db = storage.open_db(run.database)
    names = [r["name"] for r in db.query("SELECT name FROM schools")]
    assert len(names) >= 12 and all("示例" in n for n in names)
    verdicts = {r["verdict"] for r in db.query("SELECT verdict FROM latest_declarations")}
    assert verdicts == {"ready", "not_ready"}
    assert db["pledges"].count > 0 and db["roster"].count > 0
    password = result.output.split("密码 ")[1].split()[0]
    from werkzeug.security import check_password_hash

    assert check_password_hash(storage.get_admin(db, "admin")["password_hash"], password)
    assert run("demo", "--if-empty").exit_code == 0
    assert "已有数据" in run("demo", "--if-empty").output


def test_export_writes_a_snapshot_without_secrets(run, tmp_path):
    run("demo")
    out = tmp_path / "export.sqlite"
    assert run("export", str(out)).exit_code == 0
    conn = sqlite3.connect(out)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    columns = {r[1] for r in conn.execute("PRAGMA table_info(schools)")}
    assert not columns & {"access_code_hash", "pledge_token"}
    assert conn.execute("SELECT COUNT(*) FROM pledges").fetchone()[0] > 0


def test_links_are_absolute_even_without_a_base_url(tmp_path):
    database = tmp_path / "c.db"
    result = CliRunner(env={"CHECKLIST_DB": str(database), "CHECKLIST_BASE_URL": "", "PORT": "8123"}).invoke(
        main, ["demo"]
    )
    assert result.exit_code == 0
    assert "http://127.0.0.1:8123/bureau/login" in result.output
    assert "承诺书链接 http://127.0.0.1:8123/pledge/" in result.output


def serve_with(tmp_path, monkeypatch, *args) -> tuple[str, dict]:
    """`checklist serve ARGS` up to the point where it would start gunicorn: what it says, and
    how it would start the server and make its app."""
    from checklist_app.web import serving

    started = {}

    def run_server(app_factory, host, port, workers, threads):
        started.update(host=host, port=port, app=app_factory())

    monkeypatch.setattr(serving, "run_server", run_server)
    env = {"CHECKLIST_DB": str(tmp_path / "c.db"), "CHECKLIST_BASE_URL": "", "PORT": "8123"}
    result = CliRunner(env=env).invoke(main, ["serve", *args])
    assert result.exit_code == 0, result.output
    return result.output, started


def test_serve_listens_on_this_machine_only_unless_told_and_says_so(tmp_path, monkeypatch):
    output, started = serve_with(tmp_path, monkeypatch)
    assert started["host"] == "127.0.0.1"
    assert "只接受本机的访问（127.0.0.1）" in output and "--host 0.0.0.0" in output
    output, started = serve_with(tmp_path, monkeypatch, "--host", "192.0.2.7")
    assert started["host"] == "192.0.2.7" and "只接受本机的访问" not in output


def test_links_are_made_from_the_address_served_when_no_base_url_is_set(tmp_path, monkeypatch):
    from checklist_app.web import links

    _output, started = serve_with(tmp_path, monkeypatch, "--host", "192.0.2.7", "--port", "8765")
    with started["app"].test_request_context(headers={"Host": "evil.example"}):
        assert links.pledge_url("T") == "http://192.0.2.7:8765/pledge/T"
