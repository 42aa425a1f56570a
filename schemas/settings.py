"""The county settings the bureau switches (`spec/readiness.md`, County settings).

The speech gives no minimum stock and no hour for the daily ledger: those settings are the
county's own standards, off (None) by default, and every page that applies one says so.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .base import ChecklistModel, Condition, Policy, item

EPIDEMIC_POLICY = Policy("reopening/index.md", "三个不开学")
COUNTY_OWN = "本县自定标准，讲话未作规定；不填即不设"


class CountySettings(ChecklistModel):
    epidemic_controlled: bool = item(
        "疫情已得到基本控制（全县）",
        help="三个不开学之一：疫情没有得到基本控制不开学。由教育局按上级通知切换。",
        condition=Condition.C1,
        policy=EPIDEMIC_POLICY,
        default=False,
    )
    mask_days: int | None = item(
        "口罩储备天数（本县标准）",
        help=f"每人每天1个口罩，学校口罩储备需满足的天数。{COUNTY_OWN}",
        ge=1,
        le=365,
        default=None,
    )
    min_thermometers: int | None = item(
        "测温仪器最低储备（台，本县标准）", help=COUNTY_OWN, ge=1, le=10_000, default=None
    )
    min_disinfectant_litres: Decimal | None = item(
        "消毒液最低储备（升，本县标准）",
        help=f"{COUNTY_OWN}；最多保留1位小数",
        gt=0,
        le=1_000_000,
        decimal_places=1,
        default=None,
    )
    reopening_date: dt.date | None = item("开学日期", help="在网站和工作台显示；未定可不填", default=None)
    ledger_deadline: dt.time | None = item(
        "台账日报截止时间（本县标准）",
        help="讲话只要求及时更新台账，未规定时间。设定后，晚于此时间提交的日报标记为逾时；不填即不设",
        default=None,
    )
    backfill_days: int = item(
        "可补报天数",
        help="漏报的日报可在之后几天内补报，补报的日报标记为补报",
        ge=0,
        le=30,
        default=3,
    )
