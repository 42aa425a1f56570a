"""The county settings, stored as one row per key."""

from __future__ import annotations

import json
from typing import Any

from schemas import CountySettings, clock

from .audit import audit
from .columns import to_row
from .connection import query_rows, transaction


def load_settings(db) -> CountySettings:
    stored = {r["key"]: json.loads(r["value"]) for r in query_rows(db, "SELECT key, value FROM settings")}
    known = {k: v for k, v in stored.items() if k in CountySettings.model_fields}
    return CountySettings.model_validate(known, context={"stored": True})


def save_settings(db, new: CountySettings, actor: str) -> dict[str, tuple[Any, Any]]:
    """Store the settings that changed, each change audited as old -> new."""
    with transaction(db):
        old = to_row(load_settings(db))
        changes = {k: (old[k], v) for k, v in to_row(new).items() if old[k] != v}
        stamp = clock.timestamp()
        for key, (_before, after) in changes.items():
            db["settings"].upsert(
                {"key": key, "value": json.dumps(after, ensure_ascii=False), "updated_at": stamp, "updated_by": actor},
                pk="key",
            )
            audit(db, actor, "settings.change", key, {"old": _before, "new": after})
        if changes:  # every verdict now is worked out under the new settings, in this transaction
            from .derived import (
                refresh_standings,  # it reads the settings: imported here
            )

            refresh_standings(db)
    return changes
