"""The single source of every form, rule, column and generated page.

This package knows nothing of Flask or SQLite: it is the bureau's checklist, pledge and settings
as pydantic models, and the pure functions over them.
"""

from . import clock
from .base import Condition, Policy, is_tick, meta
from .messages import field_messages
from .pledge import (
    PLEDGE_ITEMS,
    PLEDGE_VERSION,
    Pledge,
    pledge_text,
    pledge_text_sha256,
)
from .readiness import SCHEMA_VERSION, SECTION_BY_ID, SECTIONS, Declaration, Section
from .school import BUREAU_KIND, DECLARING_KINDS, KINDS, School, declares
from .settings import CountySettings
from .verdict import (
    NOT_READY,
    READY,
    SELF_CHECK_STANDARD,
    VERDICT_LABELS,
    Gap,
    Standing,
    Verdict,
    county_required,
    verdict,
)

__all__ = [
    "BUREAU_KIND",
    "Condition",
    "CountySettings",
    "DECLARING_KINDS",
    "Declaration",
    "Gap",
    "KINDS",
    "NOT_READY",
    "PLEDGE_ITEMS",
    "PLEDGE_VERSION",
    "Pledge",
    "Policy",
    "READY",
    "SCHEMA_VERSION",
    "SECTIONS",
    "SECTION_BY_ID",
    "SELF_CHECK_STANDARD",
    "School",
    "Section",
    "Standing",
    "VERDICT_LABELS",
    "Verdict",
    "field_messages",
    "is_tick",
    "clock",
    "county_required",
    "declares",
    "meta",
    "pledge_text",
    "pledge_text_sha256",
    "verdict",
]
