"""What each downloaded table and column means, in Chinese: the data dictionary's words.

Model columns take their label from the model; this holds only the tables and the columns that
are not model fields (keys, times, verdicts), so each label is still written once.
"""

from __future__ import annotations

from .ledger import LedgerReport
from .pledge import Pledge
from .readiness import Declaration
from .school import School

TABLES = {
    "schools": "全县学校及教育局机关名单(每个单位一行)。",
    "declarations": "学校开学准备自查申报:每提交一次为一个版本,一行;含提交时的结论和缺项。",
    "latest_declarations": "视图:每所学校最新提交的一个版本。",
    "pledges": "教职工疫情防控承诺书:每人每个承诺书版本一行。",
    "roster": "学校上传的教职工名单,用于核对未签名单。",
    "settings": "县级设置(教育局可修改,每次修改记入操作日志)。",
    "audit_log": "操作日志:登录、设置修改、访问码发放、数据下载等。",
    "ledger_reports": "师生跟踪台账日报:每所学校每天一行。",
}

FIXED_COLUMNS = {
    "id": "行号",
    "school_code": "学校代码",
    "version": "版本号",
    "submitted_at": "提交时间",
    "schema_version": "填报表版本",
    "verdict": "结论(ready 具备开学条件 / not_ready 不具备开学条件)",
    "gaps": "缺项(JSON:字段、名称、条件、政策链接、要求)",
    "submit_key": "提交编号(防止重复提交)",
    "pledge_version": "承诺书版本",
    "text_sha256": "所签承诺书全文的 SHA-256",
    "reference": "回执编号",
    "access_code_issued_at": "访问码发放时间",
    "created_at": "创建时间",
    "updated_at": "更新时间",
    "uploaded_at": "上传时间",
    "key": "设置项",
    "value": "设置值(JSON)",
    "updated_by": "修改人",
    "at": "时间",
    "actor": "操作人",
    "action": "操作",
    "target": "对象",
    "detail": "详情(JSON)",
    "late": "迟报(晚于县里规定的截止时间提交:1 是,0 否)",
    "name": "姓名",
    "phone": "手机号码",
    "role": "身份",
}

MODELS = {
    "schools": School,
    "declarations": Declaration,
    "latest_declarations": Declaration,
    "pledges": Pledge,
    "ledger_reports": LedgerReport,
}


def column_label(table: str, column: str) -> str:
    """The Chinese header of a column of a downloaded table."""
    model = MODELS.get(table)
    if model is not None and column in model.model_fields:
        return model.model_fields[column].title or column
    return FIXED_COLUMNS.get(column, column)
