"""What each downloaded table and column means, in Chinese: the words of the data dictionary
page and the headers of the Excel download.

Model columns take their label from the model; this holds only the tables and the columns that
are not model fields (keys, times, verdicts), so each label is still written once.
"""

from __future__ import annotations

from .ledger import LedgerReport
from .pledge import Pledge
from .readiness import Declaration
from .school import School

# Tables and views in the order a person expects them, with their Chinese names and meaning.
TABLES = {
    "schools": ("学校", "全县学校及教育局机关名单(每个单位一行)。"),
    "declarations": ("申报记录", "学校开学准备自查申报:每提交一次为一个版本,一行;含提交时的结论和缺项。"),
    "latest_declarations": ("最新申报", "视图:每所学校最新提交的一个版本。"),
    "pledges": ("承诺书", "教职工疫情防控承诺书:每人每个承诺书版本一行。"),
    "roster": ("教职工名册", "学校上传的教职工名单,用于核对未签名单。"),
    "ledger_reports": ("台账日报", "师生跟踪台账日报:每所学校每天一行。"),
    "settings": ("县级设置", "县级设置(教育局可修改,每次修改记入操作日志)。"),
    "audit_log": ("操作日志", "操作日志:登录、设置修改、访问码发放、数据下载等。"),
}

# Headers of the columns that are not model fields.
FIXED_COLUMNS = {
    "id": "序号",
    "school_code": "学校代码",
    "version": "版本",
    "submitted_at": "提交时间",
    "schema_version": "表单版本",
    "verdict": "判定(提交时)",
    "gaps": "缺项(提交时)",
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
    "late": "迟报",
}

# What the data dictionary adds to a header where the header alone does not say enough.
NOTES = {
    "verdict": "ready 自查符合开学条件 / not_ready 自查不符合开学条件；表格文件中显示为文字",
    "gaps": "JSON：每个缺项的字段、名称、条件（C1 至 C3 为条件一至条件三，T 为教学工作，按本局开学条件自查口径）、政策链接和要求；表格文件中按条件列出文字",
    "submit_key": "同一次提交重复发送时据此只保存一个版本",
    "text_sha256": "据此可证明签署时显示的承诺书全文",
    "value": "JSON",
    "detail": "JSON",
    "late": "晚于县里规定的截止时间提交:1 是,0 否",
}

# Relations whose columns are model fields (the roster's name, phone and role are the pledge's).
MODELS = {
    "schools": School,
    "declarations": Declaration,
    "latest_declarations": Declaration,
    "pledges": Pledge,
    "roster": Pledge,
    "ledger_reports": LedgerReport,
}


def table_name(table: str) -> str:
    return TABLES[table][0] if table in TABLES else table


def table_description(table: str) -> str:
    return TABLES[table][1] if table in TABLES else ""


def column_label(table: str, column: str) -> str:
    """The Chinese header of a column of a downloaded table."""
    model = MODELS.get(table)
    if model is not None and column in model.model_fields:
        return model.model_fields[column].title or column
    return FIXED_COLUMNS.get(column, column)


def column_description(table: str, column: str) -> str:
    """The header and, where it helps, a note: the data dictionary's 说明 column."""
    note = NOTES.get(column)
    return f"{column_label(table, column)}({note})" if note else column_label(table, column)
