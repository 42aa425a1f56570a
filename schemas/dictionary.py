"""What leaves the service in a download, and what it means: the allowlist of public tables and
columns, the words of the data dictionary page and the headers of the Excel download.

`PUBLIC_TABLES` is the one list the bureau's downloads (SQLite, CSV, Excel) and the data
dictionary page read: a table or column not on it never leaves, so a new table or column stays
inside until someone puts it here on purpose. Model columns take their label from the model;
this holds only the tables and the columns that are not model fields (keys, times, verdicts), so
each label is still written once.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from .inspection import InspectionFields
from .ledger import LedgerReport
from .pledge import Pledge
from .readiness import Declaration
from .school import School

# Tables that hold one column per field of a model: a new field is a new column (`checklist init`).
TABLE_MODELS: dict[str, type[BaseModel]] = {
    "schools": School,
    "declarations": Declaration,
    "pledges": Pledge,
    "ledger_reports": LedgerReport,
}


@dataclass(frozen=True)
class PublicTable:
    """A table or view that leaves in the downloads, with its Chinese name, its meaning and the
    columns that leave with it: `columns`, and the fields of `model` (or only `fields` of them)."""

    title: str
    description: str
    columns: tuple[str, ...]
    model: type[BaseModel] | None = None
    fields: tuple[str, ...] | None = None
    view: bool = False
    generated: bool = False  # made in each download (its data dictionary), not kept in the database
    labels: tuple[tuple[str, str], ...] = ()  # headers of this table's own columns

    @property
    def public_columns(self) -> frozenset[str]:
        fields = self.fields if self.fields is not None else tuple(self.model.model_fields if self.model else ())
        return frozenset((*self.columns, *fields))


DICTIONARY_COLUMNS = ("table_name", "table_title", "column_name", "column_title", "type", "description", "codes")
_DECLARATION_COLUMNS = (
    "id",
    "school_code",
    "version",
    "submitted_at",
    "schema_version",
    "verdict",
    "gaps",
    "submit_key",
)

# The allowlist, in the order a person expects the tables. Never here: access-code and password
# hashes, pledge link tokens, drafts, login failures, and the tables derived for the dashboard.
PUBLIC_TABLES: dict[str, PublicTable] = {
    "schools": PublicTable(
        "学校",
        "全县学校及教育局机关名单（每个单位一行）。",
        ("access_code_issued_at", "created_at", "updated_at"),
        model=TABLE_MODELS["schools"],
    ),
    "declarations": PublicTable(
        "申报记录",
        "学校开学准备自查申报：每提交一次为一个版本，一行；含提交时的结论和缺项。",
        _DECLARATION_COLUMNS,
        model=TABLE_MODELS["declarations"],
    ),
    "latest_declarations": PublicTable(
        "最新申报",
        "视图：每所学校最新提交的一个版本。",
        _DECLARATION_COLUMNS,
        model=TABLE_MODELS["declarations"],
        view=True,
    ),
    "pledges": PublicTable(
        "承诺书",
        "教职工疫情防控承诺书：每人每个承诺书版本一行。",
        ("id", "school_code", "pledge_version", "text_sha256", "reference", "submitted_at"),
        model=TABLE_MODELS["pledges"],
    ),
    "roster": PublicTable(  # the roster's name, phone and role are the pledge's
        "教职工名册",
        "学校上传的教职工名单，用于核对未签名单。",
        ("id", "school_code", "uploaded_at"),
        model=Pledge,
        fields=("name", "phone", "role"),
    ),
    "ledger_reports": PublicTable(
        "台账日报",
        "师生跟踪台账日报：每所学校每天一行。",
        ("id", "school_code", "submitted_at", "updated_at", "late"),
        model=TABLE_MODELS["ledger_reports"],
    ),
    "inspections": PublicTable(
        "核查记录",
        "检查组到校核查：每次核查一行，对应所核查学校的一个申报版本；提交后不再修改，更正即为新的一次核查。",
        ("id", "school_code", "team", "declaration_version", "submitted_at", "inspector", "submit_key"),
        model=InspectionFields,
    ),
    "inspection_findings": PublicTable(
        "核查结果",
        "每次核查中每个核查事项一行：相符、不符或未核查，不符时附情况说明。",
        ("inspection_id", "field", "finding", "note"),
    ),
    "settings": PublicTable(
        "县级设置",
        "县级设置（教育局可修改，每次修改记入操作日志）。",
        ("key", "value", "updated_at", "updated_by"),
    ),
    "audit_log": PublicTable(
        "操作日志",
        "操作日志：登录、设置修改、访问码发放、数据下载等。",
        ("id", "at", "actor", "action", "target", "detail"),
    ),
    # What travels with every download, so a file sent by email explains itself; the XLSX and
    # the CSV zip show both as their 说明 sheet (说明.csv).
    "download_info": PublicTable(
        "下载信息",
        "本次下载的行政区划代码、县（区）、教育局、数据时间、程序版本，以及自查申报表单、承诺书和跟踪台账的版本。",
        ("item", "title", "value"),
        generated=True,
        labels=(("item", "项目代码"), ("title", "项目"), ("value", "内容")),
    ),
    "data_dictionary": PublicTable(
        "数据字典",
        "本次下载中每个表和每一列的名称、类型、含义，以及代码与其文字。",
        DICTIONARY_COLUMNS,
        generated=True,
        labels=(
            ("table_name", "表"),
            ("table_title", "表名称"),
            ("column_name", "列"),
            ("column_title", "列标题"),
            ("type", "类型"),
            ("description", "说明"),
            ("codes", "代码及其含义"),
        ),
    ),
}


# Above the county (issue 17): the download of a city or a province holds the tables above with
# every county's rows, each row led by its county (COUNTY_COLUMNS), and one table more, `counties`,
# which says whose download of each county it holds and when that was taken. A county's own
# download has neither.
COUNTY_COLUMNS = ("region_code", "region_name")
UPPER_TABLES: dict[str, PublicTable] = {
    "counties": PublicTable(
        "县（区）",
        "本次汇总中每个县（区）一行：所汇入的下载属于哪个县（区）、数据时间（各县不同）、程序和表单版本。",
        (
            *COUNTY_COLUMNS,
            "bureau_name",
            "taken_at",
            "program_version",
            "schema_version",
            "pledge_version",
            "ledger_version",
            "sha256",
            "added_at",
            "rows",
        ),
        generated=True,
        labels=(
            ("bureau_name", "教育局"),
            ("taken_at", "数据时间（北京时间）"),
            ("program_version", "程序版本"),
            ("schema_version", "自查申报表单版本"),
            ("sha256", "下载文件 SHA-256"),
            ("added_at", "汇入时间"),
            ("rows", "各表行数"),
        ),
    ),
}


def download_tables() -> dict[str, PublicTable]:
    """Every table a download may hold, the upper level's first (read afresh: PUBLIC_TABLES is
    the one list, and a test may change it)."""
    return {**UPPER_TABLES, **PUBLIC_TABLES}


def _public(table: str) -> PublicTable | None:
    return PUBLIC_TABLES.get(table) or UPPER_TABLES.get(table)


def public_columns(table: str) -> frozenset[str]:
    """The columns of `table` that may leave in a download; none for a table not on the list."""
    public = _public(table)
    return public.public_columns if public is not None else frozenset()


# Headers of the columns that are not model fields.
FIXED_COLUMNS = {
    "region_code": "行政区划代码",
    "region_name": "县（区）",
    "id": "序号",
    "school_code": "学校代码",
    "version": "版本",
    "submitted_at": "提交时间",
    "schema_version": "表单版本",
    "verdict": "判定（提交时）",
    "gaps": "缺项（提交时）",
    "submit_key": "提交标识",
    "pledge_version": "承诺书版本",
    "text_sha256": "承诺书文本 SHA-256",
    "reference": "回执编号",
    "access_code_issued_at": "访问码发放时间",
    "created_at": "创建时间",
    "updated_at": "更新时间",
    "uploaded_at": "上传时间",
    "key": "设置项",
    "value": "设置值",
    "updated_by": "修改人",
    "at": "时间",
    "actor": "操作人",
    "action": "操作",
    "target": "对象",
    "detail": "详情",
    "late": "逾时（晚于本县自定的截止时间）",
    "team": "检查组",
    "declaration_version": "核查的申报版本",
    "inspector": "检查员账号",
    "inspection_id": "核查记录序号",
    "field": "核查事项",
    "finding": "核查结果",
    "note": "情况说明",
}

# What the data dictionary adds to a header where the header alone does not say enough.
NOTES = {
    "verdict": "ready 自查符合开学条件 / not_ready 自查不符合开学条件；表格文件中显示为文字",
    "gaps": "JSON：每个缺项的字段、名称、所属条件（按本局开学条件自查口径）、政策链接和要求；表格文件中按条件列出文字",
    "submit_key": "同一次提交重复发送时据此只保存一次",
    "text_sha256": "据此可证明签署时显示的承诺书全文",
    "value": "JSON",
    "detail": "JSON",
    "late": "晚于县里规定的截止时间提交：1 是，0 否",
    "region_code": "六位数字；市级、省级汇总下载中，每行属于哪个县（区）",
    "sha256": "所汇入的县级下载文件的指纹，可据此核对是哪一份下载",
    "rows": "JSON：所汇入的县级下载中每个表的行数",
    "declaration_version": "declarations 表中该校的版本",
    "inspector": "提交核查结果的教育局账号",
    "inspection_id": "inspections 表的序号",
    "field": "declarations 表中该事项的列名；表格文件中显示为事项名称",
    "finding": "confirmed 相符 / contradicted 不符 / unchecked 未核查；表格文件中显示为文字",
}


def table_name(table: str) -> str:
    public = _public(table)
    return public.title if public is not None else table


def table_description(table: str) -> str:
    public = _public(table)
    return public.description if public is not None else ""


def column_label(table: str, column: str) -> str:
    """The Chinese header of a column of a downloaded table."""
    public = _public(table)
    if public is not None and column in dict(public.labels):
        return dict(public.labels)[column]
    if public is not None and public.model is not None and column in public.model.model_fields:
        return public.model.model_fields[column].title or column
    return FIXED_COLUMNS.get(column, column)


def column_description(table: str, column: str) -> str:
    """The header and, where it helps, a note: the data dictionary's 说明 column."""
    note = NOTES.get(column)
    return f"{column_label(table, column)}（{note}）" if note else column_label(table, column)
