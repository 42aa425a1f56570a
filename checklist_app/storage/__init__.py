"""The county's data in one SQLite file, through sqlite-utils: one module per concern.

Every write runs in one `BEGIN IMMEDIATE` transaction (`connection.transaction`), so a writer
waits for the lock up front instead of failing half way; uniqueness is held by constraints, not
by looking first. The columns of `declarations`, `pledges`, `schools` and `ledger_reports` are
derived from the models in `schemas/` (`columns`). This package knows nothing of requests: views
call the verbs gathered here.
"""

from .accounts import (  # noqa: F401
    create_admin,
    get_admin,
    last_failure_at,
    note_throttled,
    recent_failures,
    record_login,
    unlock_account,
)
from .archive import (  # noqa: F401
    snapshot,
)
from .audit import (  # noqa: F401
    audit,
    audit_entries,
    log_event,
)
from .columns import (  # noqa: F401
    declaration_from_row,
    model_columns,
    to_row,
)
from .connection import (  # noqa: F401
    WriterQueue,
    db_path,
    insert_sql,
    open_db,
    transaction,
)
from .declarations import (  # noqa: F401
    declaration_by_submit_key,
    declaration_version,
    declaration_versions,
    latest_declaration,
    load_drafts,
    previous_declaration,
    record_declaration,
    save_draft,
)
from .derived import (  # noqa: F401
    DERIVED_TABLES,
    fresh_standings,
    latest_standing,
    recompute_derived,
    rules_digest,
    stale_standings,
    standing_of,
    standings_basis,
    stored_standings_basis,
    stored_verdict,
    tallies_agree,
    verdict_now,
)
from .inspections import (  # noqa: F401
    InspectionRefused,
    inspection_by_id,
    inspection_by_submit_key,
    inspection_findings,
    latest_inspection,
    load_inspection_draft,
    overdue_rectifications,
    record_inspection,
    save_inspection_draft,
    school_inspections,
)
from .ledger import (  # noqa: F401
    last_ledger_report,
    ledger_day_schools,
    ledger_day_totals,
    ledger_last_correction,
    ledger_report_before,
    ledger_report_on,
    ledger_reports_between,
    ledger_township_days,
    record_ledger_report,
)
from .migrations import (  # noqa: F401
    MIGRATIONS,
    TABLE_MODELS,
    add_model_columns,
    migrate,
)
from .overview import (  # noqa: F401
    SCHOOL_ROW_COLUMNS,
    UNSIGNED_ROSTER_SQL,
    county_overview,
    school_rows,
    schools_without_access_code,
    unsigned_roster,
)
from .pledges import (  # noqa: F401
    REFERENCE_LENGTH,
    pledge_by_reference,
    record_pledge,
    replace_roster,
    roster_status,
    signed_in,
)
from .region import (  # noqa: F401
    region_snapshot,
)
from .retention import (  # noqa: F401
    purge_before,
)
from .rollup import (  # noqa: F401
    ROLLUP_TABLES,
    CountyDownload,
    RollupRefused,
    add_download,
    check_download,
    rollup_counties,
)
from .schools import (  # noqa: F401
    REFERENCE_ALPHABET,
    check_secret,
    get_school,
    hash_secret,
    is_outdated_hash,
    issue_access_codes,
    list_schools,
    random_code,
    rotate_pledge_token,
    school_by_pledge_token,
    school_code_matching,
    schools_by_code,
    upgrade_access_code,
    upsert_schools,
)
from .sessions import (  # noqa: F401
    end_session,
    end_sessions_of,
    live_session,
    open_session,
    purge_expired_sessions,
)
from .settings import (  # noqa: F401
    load_settings,
    save_settings,
)
from .teams import (  # noqa: F401
    Assignment,
    TeamError,
    assign_schools,
    create_team,
    list_teams,
    team_codes,
    team_of,
    township_counts,
    unassigned_schools,
)
