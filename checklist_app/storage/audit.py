"""The audit log: who changed what and when, written inside the transaction of the change."""

from __future__ import annotations

import json
from typing import Any

from schemas import clock

from .connection import insert_sql, transaction


def audit(db, actor: str, action: str, target: str = "", detail: Any = None) -> None:
    """Write one audit_log row; call inside the transaction of the change it records."""
    row = {
        "at": clock.timestamp(),
        "actor": actor,
        "action": action,
        "target": target,
        "detail": json.dumps(detail, ensure_ascii=False, default=str) if detail is not None else None,
    }
    # plain SQL: sqlite_utils' insert looks the table up in sqlite_master first, on every write
    db.execute(insert_sql("audit_log", list(row)), list(row.values()))


def audit_entries(db, actions: tuple[str, ...], limit: int = 20) -> list[dict]:
    """The most recent audit_log rows of the given actions, newest first, detail decoded."""
    marks = ",".join("?" * len(actions))
    rows = db.query(f"SELECT * FROM audit_log WHERE action IN ({marks}) ORDER BY id DESC LIMIT ?", [*actions, limit])
    return [{**r, "detail": json.loads(r["detail"]) if r["detail"] else None} for r in rows]


def log_event(db, actor: str, action: str, target: str = "", detail: Any = None) -> None:
    """An audited event that changes nothing else (a download, a refused login), in its own
    transaction."""
    with transaction(db):
        audit(db, actor, action, target, detail)
