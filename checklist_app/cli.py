"""The `checklist` command (PRODUCT.md, Command line). Each command is a thin shell over storage."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import click

from schemas import clock
from schemas.dictionary import table_name

from . import REPO_ROOT, create_app, storage
from .deployment import DeploymentError
from .exchange import exports
from .exchange.about import Origin
from .exchange.imports import TableError, read_school_list
from .storage import archive
from .web import links, serving
from .web.db import release_connections


class Refused(click.ClickException):
    """A command that refuses, saying why in Chinese; click's own prefix ("Error: ") is English."""

    def show(self, file=None) -> None:
        click.echo(f"错误：{self.format_message()}", file=file, err=True)


def _confirm(question: str) -> None:
    """Ask before a change that cannot be undone; an answer other than yes changes nothing."""
    if not click.confirm(question, prompt_suffix="："):
        raise Refused("已取消，没有任何改动。")


def _app():
    try:
        return create_app()
    except DeploymentError as error:  # a bad county.toml: say what is wrong, no traceback
        raise Refused(str(error)) from None


def _db(app):
    return storage.open_db(app.config["DATABASE"])


@click.group(help="教育局开学工作平台的命令行工具")
def main() -> None:
    pass


@main.command(help="Create or migrate the database; safe to run again.")
def init() -> None:
    app = _app()  # the app migrates the database when it starts
    click.echo(f"数据库已就绪：{app.config['DATABASE']}")


@main.command(help="Load the demo county into an empty database and print its logins.")
@click.option("--if-empty", is_flag=True, help="Do nothing (and say so) when schools exist already.")
def demo(if_empty: bool) -> None:
    from .demo import load_demo

    app = _app()
    db = _db(app)
    if if_empty and db.execute("SELECT COUNT(*) FROM schools").fetchone()[0]:
        click.echo("数据库中已有数据，未载入示例数据。")
        return
    try:
        logins = load_demo(db)
    except ValueError as error:
        raise Refused(str(error)) from None
    user, password = logins["admin"]
    click.echo("已载入示例县（所有名称标有“示例”）。以下登录信息只显示这一次，请记下：")
    base = links.base_url(app.config)
    click.echo(f"  教育局工作台 {base}/bureau/login  用户名 {user}  密码 {password}")
    for inspector, inspector_password, team in logins["inspectors"]:
        click.echo(f"  检查员（{team}） {base}/bureau/login  用户名 {inspector}  密码 {inspector_password}")
    click.echo(f"  学校登录 {base}/school/login")
    for row in logins["schools"]:
        click.echo(f"    {row['code']:<6} 访问码 {row['access_code']}  {row['name']}")
        click.echo(f"           承诺书链接 {links.pledge_url(row['pledge_token'], base)}")


@main.group(help="Schools: import the list, issue access codes.")
def schools() -> None:
    pass


@schools.command(
    "import",
    help="Import CSV or XLSX with columns code,name,kind,township (the Chinese headers 学校代码、学校名称、学校类型、乡镇 also work).",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_schools(file: str) -> None:
    db = _db(_app())
    try:
        rows = read_school_list(db, Path(file).read_bytes(), Path(file).name)
    except TableError as error:
        click.echo("导入失败，未做任何更改：", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    created, updated = storage.upsert_schools(db, rows, actor="cli")
    click.echo(f"导入完成：新增 {created} 所，更新 {updated} 所。")


@schools.command("issue-codes", help="Issue new access codes; writes CSV code,name,access_code,pledge_url.")
@click.option("--school", "codes", multiple=True, help="Only this school code (repeatable).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the CSV here instead of standard output.")
def issue_codes(codes: tuple[str, ...], out: str | None) -> None:
    app = _app()
    db = _db(app)
    unknown = [c for c in codes if storage.get_school(db, c) is None]
    if unknown:
        raise Refused(f"没有这些学校代码：{'、'.join(unknown)}。")
    issued = storage.issue_access_codes(db, list(codes) or None, actor="cli")
    text = links.issued_codes_csv(issued, links.base_url(app.config))
    if not out:
        click.echo(text, nl=False)
        return
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # access codes: owner only
    with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
        handle.write(text)
    click.echo(f"已为 {len(issued)} 所学校生成访问码，写入 {out}（访问码只显示这一次）。", err=True)


@main.group(help="Bureau admin accounts.")
def admin() -> None:
    pass


@admin.command("create", help="Create a bureau account (or set a new password for one).")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "inspector"]), default="admin", help="admin or inspector.")
@click.option("--team", default=None, help="The inspection team of an inspector (created if missing).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def admin_create(username: str, role: str, team: str | None, password_stdin: bool) -> None:
    from .web.auth import hash_password

    if role == "inspector" and not team:
        raise Refused("检查员必须用 --team 指定检查组。")
    if role == "admin" and team:
        raise Refused("管理员不属于检查组：只有检查员需要 --team。")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("密码", hide_input=True, prompt_suffix="：")
        if click.prompt("再输入一次密码", hide_input=True, prompt_suffix="：") != password:
            raise Refused("两次输入的密码不一致，账号没有改动。")
    if len(password) < 10:
        raise Refused("密码至少 10 个字符。")
    storage.create_admin(_db(_app()), username, hash_password(password), role=role, team=team)
    if role == "inspector":
        click.echo(f"已创建检查员账号 {username}（检查组：{team}）")
    else:
        click.echo(f"已创建教育局账号 {username}")


@main.group(help="Inspection teams and their schools.")
def teams() -> None:
    pass


@teams.command("assign", help="Assign schools (by township or code) to an inspection team; creates the team.")
@click.argument("name")
@click.option("--township", "townships", multiple=True, help="Every school of this township.")
@click.option("--school", "codes", multiple=True, help="A school code.")
def teams_assign(name: str, townships: tuple[str, ...], codes: tuple[str, ...]) -> None:
    if not townships and not codes:
        raise Refused("请用 --township 或 --school 指定要分配的学校。")
    try:
        assigned = storage.assign_schools(_db(_app()), name, townships=townships, codes=codes, actor="cli")
    except ValueError as error:
        raise Refused(str(error)) from error
    click.echo(f"已将 {len(assigned.codes)} 所学校分配给检查组 {name}：{'、'.join(assigned.codes)}。")
    for code, team in assigned.moved.items():
        click.echo(f"{code} 原属检查组 {team}，已移到检查组 {name}。")


@admin.command("end-sessions", help="End every session of a bureau account (every browser logged in as it).")
@click.argument("username")
def admin_end_sessions(username: str) -> None:
    db = _db(_app())
    ended = storage.end_sessions_of(db, "admin", username)
    storage.log_event(db, "cli", "sessions.end", f"admin:{username}", {"sessions": ended})
    click.echo(f"已结束教育局账号 {username} 的 {ended} 个登录会话。")


@admin.command("unlock", help="Lift the login limit of a bureau account (failures counted against it).")
@click.argument("username")
def admin_unlock(username: str) -> None:
    storage.unlock_account(_db(_app()), f"admin:{username}", actor="cli")
    click.echo(f"已解除教育局账号 {username} 的登录限制。")


@main.command(
    help="Write a consistent snapshot of the live database (no secrets) to FILE: .sqlite or .db, .xlsx, or .zip (CSV)."
)
@click.argument("file", type=click.Path(dir_okay=False))
def export(file: str) -> None:
    kind = exports.FORMATS.get(Path(file).suffix.lower())
    if kind is None:
        raise Refused(
            f"不认识文件 {file} 的扩展名：请用 .sqlite 或 .db（SQLite 数据库）、.xlsx（Excel 工作簿）或 .zip（CSV 压缩包）。"
        )
    app = _app()
    db = _db(app)
    exports.export_to(db, Path(file), kind, Origin.now(app.config["DEPLOYMENT"]))
    storage.log_event(db, "cli", "export.download", Path(file).name)
    click.echo(f"已导出：{file}")


@main.group(help="At a city or province instance: take in the counties' downloads.")
def rollup() -> None:
    pass


UPPER_LEVELS = {"city": "市", "province": "省"}
ROLLUP_OUTCOMES = {
    "added": "已汇入{name}（{code}）数据时间为 {taken} 的下载，{rows} 行",
    "replaced": "已汇入{name}（{code}）数据时间为 {taken} 的下载，{rows} 行，替换了数据时间为 {held} 的",
    "same": "{name}（{code}）数据时间为 {taken} 的下载已汇入过，保留已有的一份，未做改动",
}


@rollup.command("add", help="Take in county downloads (SQLite files); a newer download of a county replaces its rows.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def rollup_add(files: tuple[str, ...]) -> None:
    app = _app()
    upper = app.config["DEPLOYMENT"]
    if upper.level not in UPPER_LEVELS:
        raise Refused(
            f"本实例是县级实例（county.toml 中 level 为 {upper.level}），不能汇入县级数据："
            "只有市级或省级实例（level 为 city 或 province）才能汇入。"
        )
    db = _db(app)
    checked, outcomes, lines = [], {}, {}
    with click.progressbar(files, label="检查文件", item_show_func=lambda f: f or "") as bar:
        for file in bar:
            try:
                checked.append((file, storage.check_download(db, file, upper)))
            except storage.RollupRefused as refusal:
                outcomes[file], lines[file] = "refused", f"{refusal}。"
    with click.progressbar(length=sum(d.total_rows for _f, d in checked), label="汇入数据") as bar:
        for file, download in checked:
            try:
                done = storage.add_download(db, download, actor="cli", progress=bar.update)
            except storage.RollupRefused as refusal:
                outcomes[file], lines[file] = "refused", f"{refusal}。"
                continue
            words = {"name": download.region_name, "code": download.region_code, "rows": done["rows"]}
            words |= {
                "taken": clock.show(download.taken_at, seconds=True),
                "held": clock.show(done["held"], seconds=True),
            }
            outcomes[file], lines[file] = (
                done["outcome"],
                f"{file}：{ROLLUP_OUTCOMES[done['outcome']].format(**words)}。",
            )
    for file in files:
        click.echo(lines[file], err=outcomes[file] == "refused")
    count = {outcome: list(outcomes.values()).count(outcome) for outcome in ("added", "replaced", "same", "refused")}
    click.echo(
        f"共 {len(files)} 个文件：新汇入 {count['added']} 个，替换 {count['replaced']} 个，"
        f"已汇入过 {count['same']} 个，未汇入 {count['refused']} 个。"
    )
    if count["refused"]:
        sys.exit(1)


@rollup.command("list", help="Show each county held, with the time of its download and its rows.")
def rollup_list() -> None:
    counties = storage.rollup_counties(_db(_app()))
    if not counties:
        click.echo("尚未汇入任何县（区）的数据。")
        return
    click.echo(f"已汇入 {len(counties)} 个县（区）的数据（数据时间为北京时间）：")
    for county in counties:
        rows = "，".join(f"{table_name(table)} {n}" for table, n in county["rows"].items())
        click.echo(
            f"  {county['region_code']}  {county['region_name']}  数据时间 {clock.show(county['taken_at'], seconds=True)}  {rows}"
        )


RESTORE_REFUSALS = {
    "missing": "找不到备份文件",
    "not_sqlite": "这不是 SQLite 数据库文件",
    "damaged": "备份文件已损坏，未通过完整性检查",
    "not_a_backup": "这不是本系统的备份（教育局下载的数据文件不含访问码和密码，不能用来恢复）",
    "newer_schema": "备份来自更新版本的程序，含本程序不认识的数据库迁移；请先升级程序再恢复",
    "in_use": "数据库正在使用中：请先停止服务（systemctl stop checklist）再恢复",
}


def _database_path() -> str:
    """The configured database, without creating it (as create_app would)."""
    from . import default_config

    return default_config()["DATABASE"]


def _rows(counts: dict, table: str) -> int:
    return counts.get(table, 0)


@main.command(help="Write a consistent full copy of the database (secrets included) to FILE, verified.")
@click.argument("file", type=click.Path(dir_okay=False))
def backup(file: str) -> None:
    database = _database_path()
    if not Path(database).is_file():
        raise Refused(f"数据库不存在：{database}")
    db = storage.open_db(database)
    try:
        done = archive.backup(db, file)
    except sqlite3.DatabaseError as error:
        raise Refused(f"备份失败，数据库可能已损坏：{error}") from None
    finally:
        db.close()
    counts = done["counts"]
    click.echo(
        f"已备份到 {done['path']}（{done['bytes']} 字节）：学校 {_rows(counts, 'schools')} 所，"
        f"申报 {_rows(counts, 'declarations')} 份，承诺书 {_rows(counts, 'pledges')} 份。"
        "备份含访问码和密码的哈希，请妥善保管。"
    )


@main.command(help="Put backup FILE in place of the database. Stop the service first.")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(file: str, yes: bool) -> None:
    database = _database_path()
    if not yes:
        _confirm(f"用备份 {file} 替换数据库 {database}？")
    try:
        done = archive.restore(file, database)
    except archive.RestoreRefused as refusal:
        detail = f"（{refusal.detail}）" if refusal.detail else ""
        raise Refused(f"未恢复，数据库没有改动：{RESTORE_REFUSALS[refusal.reason]}{detail}") from None
    counts = done["counts"]
    click.echo(
        f"已恢复到 {done['path']}：学校 {_rows(counts, 'schools')} 所，申报 {_rows(counts, 'declarations')} 份，"
        f"承诺书 {_rows(counts, 'pledges')} 份。"
    )
    if done["manifest"].get("taken_at"):
        click.echo(f"备份时间：{done['manifest']['taken_at']}")
    if done["kept"]:
        click.echo(f"原数据库保留为 {done['kept']}，确认无误后可删除。")
    click.echo("下一步：checklist init（如备份来自旧版本，会升级数据库），然后启动服务。")


@main.command(help="Delete pledges and declarations submitted before a date (each school's latest declaration stays).")
@click.option(
    "--before",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="YYYY-MM-DD: what was submitted before this day goes.",
)
@click.option("--dry-run", is_flag=True, help="Only say what would be deleted; change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def purge(before, dry_run: bool, yes: bool) -> None:
    db = _db(_app())
    try:
        report = storage.purge_before(db, before.date(), dry_run=True)
    except ValueError:
        raise Refused("日期不能晚于今天") from None
    _print_purge(report)
    if dry_run:
        click.echo("这是试运行，没有删除任何数据。")
        return
    if not report["pledges"] and not report["declarations"]:
        click.echo("没有需要删除的数据。")
        return
    if not yes:
        _confirm("确认删除以上数据？删除后无法找回（此前的备份中仍有，备份轮换后消失）。")
    report = storage.purge_before(db, before.date(), dry_run=False, actor="cli")
    click.echo(f"已删除：承诺书 {report['pledges']} 份，申报 {report['declarations']} 份。已记入操作日志。")


def _print_purge(report: dict) -> None:
    click.echo(f"{report['before']} 之前提交的数据：")
    click.echo(f"  承诺书 {report['pledges']} 份将删除", nl=False)
    if report["current_version_pledges"]:
        click.echo(f"（其中 {report['current_version_pledges']} 份是现行承诺书，删除后这些教职工显示为未签）", nl=False)
    click.echo("")
    click.echo(f"  申报 {report['declarations']} 份将删除（各校较早的版本）")
    if report["kept_latest"]:
        click.echo(f"  申报 {report['kept_latest']} 份保留：这些学校的最新申报早于该日期，最新申报始终保留")
    if report["schools"]:
        click.echo("  按学校（代码 名称：承诺书 / 申报）：")
        for school in report["schools"]:
            click.echo(f"    {school['code']} {school['name']}:{school['pledges']} / {school['declarations']}")


@main.command("build-site", help="Build the policy site into site/ (mkdocs build --strict).")
def build_site() -> None:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(REPO_ROOT / "mkdocs.yml")],
        cwd=REPO_ROOT,
    )
    if result.returncode:
        sys.exit(result.returncode)
    click.echo(f"网站已生成：site/（用时 {time.perf_counter() - started:.1f} 秒）")


@main.command(help="Serve the site and the app with a production WSGI server (gunicorn).")
@click.option("--host", "host_given", help="Address to listen on. Default: 127.0.0.1 (this machine only).")
@click.option("--port", default=lambda: int(os.environ.get("PORT", 8000)), type=int, help="Default: $PORT or 8000.")
@click.option(
    "--workers",
    default=lambda: serving.usable_cores(),
    type=click.IntRange(min=1),
    help="Server processes. Default: one per CPU core this process may use.",
)
@click.option("--threads", default=4, show_default=True, type=click.IntRange(min=1), help="Threads per process.")
def serve(host_given: str | None, port: int, workers: int, threads: int) -> None:
    host = host_given or "127.0.0.1"
    app = _app()  # migrates the database once, before any worker starts
    release_connections(app)  # a worker must not inherit this process's SQLite connections
    url = links.server_url(host, port)
    click.echo(f"服务已启动：{url}/  （按 Ctrl+C 停止）")
    if host_given is None:
        click.echo("只接受本机的访问（127.0.0.1）。要让其他电脑访问，请加 --host 0.0.0.0，并在前面配置 nginx。")
    # a worker (also one gunicorn starts again later) only opens the database: were it to
    # migrate and fail, gunicorn would stop the whole server; links are made from the address
    # served unless CHECKLIST_BASE_URL says otherwise
    config = {"MIGRATE": False, "SERVER_URL": url}
    serving.run_server(lambda: create_app(config), host, port, workers=workers, threads=threads)
