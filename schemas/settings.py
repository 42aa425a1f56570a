"""The county settings the bureau switches (`spec/readiness.md`, County settings)."""

from __future__ import annotations

import datetime as dt

from .base import ChecklistModel, Condition, Policy, item

EPIDEMIC_POLICY = Policy("reopening/index.md", "三个不开学")


class CountySettings(ChecklistModel):
    epidemic_controlled: bool = item(
        "疫情已得到基本控制(全县)",
        help="三个不开学之一:疫情没有得到基本控制不开学。由教育局按上级通知切换。",
        condition=Condition.C1,
        policy=EPIDEMIC_POLICY,
        default=False,
    )
    mask_days: int = item("口罩储备天数", help="每人每天 1 个口罩,学校口罩储备需满足的天数", ge=1, le=365, default=14)
    reopening_date: dt.date | None = item("开学日期", help="在网站和工作台显示;未定可不填", default=None)
    ledger_deadline: dt.time = item(
        "台账日报截止时间", help="每日跟踪台账日报晚于此时间提交的标记为迟报", default=dt.time(14, 0)
    )
