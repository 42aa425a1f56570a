"""The site's pages generated from `schemas/`: the printable checklist, the pledge text and the
data dictionary. Plain functions from models to Markdown; the MkDocs hook only adds them."""

from __future__ import annotations

import schemas
from schemas import Condition, is_tick, meta
from schemas.dictionary import PUBLIC_TABLES, column_description, public_columns, table_description, table_name

from .. import storage
from ..exchange.about import GENERATED_SQL

CHECKLIST = "checklist.md"
PLEDGE = "pledge-text.md"  # not pledge.md: the app owns /pledge (PRODUCT.md)
DATA_DICTIONARY = "data-dictionary.md"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def checklist_markdown() -> str:
    lines = [
        "# 开学准备自查清单",
        "",
        "学校开学准备自查申报的全部项目，按申报表的栏目排列，可打印后逐项对照。"
        "每一项后面注明它计入哪个开学条件，并链接到讲明这项要求的政策。",
        "",
        "## 开学条件",
        "",
        "三个条件都具备才能开学（三个不开学）。"
        f"下表中各项计入哪一条件，是{schemas.SELF_CHECK_STANDARD}。",
        "",
        f"- **{Condition.words('C1')}**：由教育局根据全县情况确认，不由学校填报。"
        f"（[三个不开学]({schemas.CountySettings.model_fields['epidemic_controlled'].json_schema_extra['policy'].markdown_link()})）",
        f"- **{Condition.words('C2')}**：下表中计入{Condition.TITLES['C2']}的各项全部达到。",
        f"- **{Condition.words('C3')}**：下表中计入{Condition.TITLES['C3']}的各项全部达到。",
        f"- **{Condition.words('T')}**：计入{Condition.LABELS['T']}的各项是开学前的教学准备，未完成的会列为待办，"
        "但不影响开学条件结论。",
        "",
        f"三个条件同时具备，结论为“{schemas.VERDICT_LABELS['ready']}”；"
        f"否则为“{schemas.VERDICT_LABELS['not_ready']}”，并列出每一个缺项。",
        "",
    ]
    for section in schemas.SECTIONS:
        lines += [
            f"## {section.title}",
            "",
            f"政策依据：[{section.policy.heading}]({section.policy.markdown_link()})",
            "",
            "| 序号 | 项目 | 条件 | 要求 | 自查 |",
            "| --- | --- | --- | --- | --- |",
        ]
        for number, (name, info) in enumerate(section.model_fields.items(), 1):
            extra = meta(info)
            label = info.title + ("（选填）" if not info.is_required() and not is_tick(info) else "")
            if extra.get("policy") and extra["policy"] != section.policy:
                label += f"（[{extra['policy'].heading}]({extra['policy'].markdown_link()})）"
            condition = Condition.words(extra["condition"]) if extra.get("condition") else "—"
            requirement = extra["requires"].wording if extra.get("requires") else _fill_in(info)
            tick = "☐ 是 ☐ 否" if is_tick(info) else "______"
            lines.append(f"| {number} | {_cell(label)} | {condition} | {_cell(requirement)} | {tick} |")
        lines.append("")
    return "\n".join(lines)


def _fill_in(info) -> str:
    return (info.description or "填写").rstrip("。")


def pledge_markdown() -> str:
    """The pledge text exactly as the form shows it (`pledge_text()`), then where each item comes from."""
    title, *body = schemas.pledge_text().split("\n")
    lines = [
        f"# {title}",
        "",
        "全体教职工（教师、学校领导、职工）和教育局机关干部，每人签署一次当前版本的承诺书。"
        "签署链接和二维码由学校在本校教职工群里发布；签署后会得到一个回执编号。",
        "",
        '<div class="pledge-text" markdown>',
        "",
    ]
    # each line its own paragraph; "1\\." keeps a numbered item from becoming a Markdown list
    paragraphs = [line.replace(". ", "\\. ", 1) if line[:1].isdigit() else line for line in body if line]
    lines += [text for paragraph in paragraphs for text in (paragraph, "")]
    lines += [
        "</div>",
        "",
        f"（第{schemas.PLEDGE_VERSION}版）",
        "",
        "## 各项承诺的政策依据",
        "",
        "| 承诺 | 政策依据 |",
        "| --- | --- |",
    ]
    for name in schemas.PLEDGE_ITEMS:
        info = schemas.Pledge.model_fields[name]
        policy = meta(info)["policy"]
        lines.append(f"| {_cell(info.title)} | [{policy.heading}]({policy.markdown_link()}) |")
    lines += ["", "## 签署时填写的信息", "", "| 项目 | 说明 |", "| --- | --- |"]
    for name, info in schemas.Pledge.model_fields.items():
        if name in schemas.PLEDGE_ITEMS:
            continue
        choices = meta(info).get("choices")
        note = "可选：" + "、".join(choices.values()) if choices else (info.description or "必填")
        lines.append(f"| {info.title} | {_cell(note)} |")
    lines += [
        "",
        "只收集上表所列信息，不收集身份证号码。手机号码只提供给教育局；"
        "学校看到的名单中手机号码会部分隐藏（如138****1234）。",
        "",
    ]
    return "\n".join(lines)


def data_dictionary_markdown() -> str:
    """Every table and column on the allowlist, the ones the bureau downloads, in the order and
    with the types of a freshly migrated database."""
    db = storage.open_db(":memory:")
    storage.migrate(db)
    for sql in GENERATED_SQL.values():  # made in each download
        db.execute(sql)
    lines = [
        "# 数据字典",
        "",
        "教育局下载的数据（SQLite 数据库、CSV 压缩包、Excel 工作簿）包含以下各表。"
        "下载中不含访问码、密码、承诺书链接令牌和未提交的草稿。",
        "",
        "列类型：INTEGER 为整数，勾选项以 1 表示“是”、0 表示“否”；REAL 为小数；"
        "TEXT 为文字、日期（YYYY-MM-DD）或时间（ISO 8601，北京时间 +08:00）。"
        "SQLite 数据库保存这些代码，并带有 download_info 和 data_dictionary 两个表说明自身；"
        "Excel 工作簿和 CSV 压缩包供人阅读：表头为中文，代码显示为文字，日期和时间为北京时间，"
        "第一个工作表（说明.csv）是下载信息和数据字典。",
        "",
    ]
    for table in PUBLIC_TABLES:
        public = public_columns(table)
        lines += [
            f"## {table} {table_name(table)}",
            "",
            table_description(table),
            "",
            "| 列名 | 类型 | 说明 |",
            "| --- | --- | --- |",
        ]
        for column in db[table].columns:
            if column.name in public:
                lines.append(
                    f"| `{column.name}` | {column.type or 'TEXT'} | {_cell(column_description(table, column.name))} |"
                )
        lines.append("")
    db.close()
    return "\n".join(lines)


def generated_pages() -> dict[str, str]:
    return {
        CHECKLIST: checklist_markdown(),
        PLEDGE: pledge_markdown(),
        DATA_DICTIONARY: data_dictionary_markdown(),
    }
