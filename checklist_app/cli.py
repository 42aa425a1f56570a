"""The `checklist` command (PRODUCT.md, Command line). Each command is a thin shell over storage."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import click

from . import REPO_ROOT, create_app, storage
from .imports import TableError, parse_schools_file


def _app():
    return create_app()


def _db(app):
    return storage.open_db(app.config["DATABASE"])


def pledge_url(app, token: str) -> str:
    return f"{app.config['BASE_URL']}/pledge/{token}"


@click.group(help="县教育局开学工作平台的命令行工具")
def main() -> None:
    pass


@main.command(help="Create or migrate the database; safe to run again.")
def init() -> None:
    app = _app()  # the app migrates the database when it starts
    click.echo(f"数据库已就绪:{app.config['DATABASE']}")


@main.command(help="Load the demo county into an empty database and print its logins.")
@click.option("--if-empty", is_flag=True, help="Do nothing (and say so) when schools exist already.")
def demo(if_empty: bool) -> None:
    from .demo import load_demo

    app = _app()
    db = _db(app)
    if if_empty and db.execute("SELECT COUNT(*) FROM schools").fetchone()[0]:
        click.echo("数据库中已有数据,未载入示例数据。")
        return
    try:
        logins = load_demo(db)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    user, password = logins["admin"]
    click.echo("已载入示例县(所有名称标有“示例”)。以下登录信息只显示这一次,请记下:")
    click.echo(f"  教育局工作台 {app.config['BASE_URL']}/bureau/login  用户名 {user}  密码 {password}")
    click.echo(f"  学校登录 {app.config['BASE_URL']}/school/login")
    for row in logins["schools"]:
        click.echo(f"    {row['code']:<6} 访问码 {row['access_code']}  {row['name']}")
        click.echo(f"           承诺书链接 {pledge_url(app, row['pledge_token'])}")


@main.group(help="Schools: import the list, issue access codes.")
def schools() -> None:
    pass


@schools.command("import", help="Import CSV or XLSX with columns code,name,kind,township (or 学校代码,学校名称,学校类型,乡镇).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_schools(file: str) -> None:
    app = _app()
    try:
        rows = parse_schools_file(file)
    except TableError as error:
        click.echo("导入失败,未做任何更改:", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    created, updated = storage.upsert_schools(_db(app), rows, actor="cli")
    click.echo(f"导入完成:新增 {created} 所,更新 {updated} 所。")


@schools.command("issue-codes", help="Issue new access codes; writes CSV code,name,access_code,pledge_url.")
@click.option("--school", "codes", multiple=True, help="Only this school code (repeatable).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the CSV here instead of standard output.")
def issue_codes(codes: tuple[str, ...], out: str | None) -> None:
    app = _app()
    db = _db(app)
    unknown = [c for c in codes if storage.get_school(db, c) is None]
    if unknown:
        raise click.ClickException(f"没有这些学校代码:{', '.join(unknown)}")
    issued = storage.issue_access_codes(db, list(codes) or None, actor="cli")
    handle = open(out, "w", newline="", encoding="utf-8-sig") if out else sys.stdout
    try:
        if out:
            os.chmod(out, 0o600)
        writer = csv.writer(handle)
        writer.writerow(["code", "name", "access_code", "pledge_url"])
        for row in issued:
            writer.writerow([row["code"], row["name"], row["access_code"], pledge_url(app, row["pledge_token"])])
    finally:
        if out:
            handle.close()
    if out:
        click.echo(f"已为 {len(issued)} 所学校生成访问码,写入 {out}(访问码只显示这一次)。", err=True)


@main.group(help="Bureau admin accounts.")
def admin() -> None:
    pass


@admin.command("create", help="Create a bureau admin (or set a new password for one).")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def admin_create(username: str, password_stdin: bool) -> None:
    from .auth import hash_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("密码", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise click.ClickException("密码至少 10 个字符")
    storage.create_admin(_db(_app()), username, hash_password(password))
    click.echo(f"已创建教育局账号 {username}")


@main.command(help="Write a consistent snapshot of the live database (no secrets) to FILE.")
@click.argument("file", type=click.Path(dir_okay=False))
def export(file: str) -> None:
    storage.snapshot(_db(_app()), file)
    click.echo(f"已导出:{file}")


@main.command("build-site", help="Build the policy site into site/ (mkdocs build --strict).")
def build_site() -> None:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(REPO_ROOT / "mkdocs.yml")],
        cwd=REPO_ROOT,
    )
    if result.returncode:
        sys.exit(result.returncode)
    click.echo(f"网站已生成:site/(用时 {time.perf_counter() - started:.1f} 秒)")


@main.command(help="Serve the site and the app with a production WSGI server (waitress).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=lambda: int(os.environ.get("PORT", 8000)), type=int, help="Default: $PORT or 8000.")
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    from waitress import serve as waitress_serve

    app = _app()
    click.echo(f"服务已启动:http://{host}:{port}/  (按 Ctrl+C 停止)")
    waitress_serve(app, host=host, port=port, threads=threads, ident="checklist")
