"""Schools and their secrets: the school list, access codes (stored hashed) and pledge links."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets

from schemas import DECLARING_KINDS, School, clock

from .audit import audit
from .columns import to_row
from .connection import query_one, transaction
from .sessions import _end_sessions

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O/1/I/L
ACCESS_CODE_LENGTH = 10

# The kinds that declare (`schemas.declares`) as one SQL parameter: `s.kind IN (SELECT value FROM
# json_each(?))`, so no query writes its own test of which organisations declare.
DECLARING_KINDS_JSON = json.dumps(DECLARING_KINDS, ensure_ascii=False)


# scrypt at about 10 ms and 4 MB a check: a code is 10 characters of 31 (49 bits), so a leaked
# backup's codes take thousands of core-years to guess where a salted SHA-256 took days, and
# issuing codes for a county's 300 schools still takes seconds, not minutes (issue 18)
SCRYPT = {"n": 2**12, "r": 8, "p": 1}


def _scrypt(secret: str, salt: str, n: int, r: int, p: int) -> str:
    return hashlib.scrypt(secret.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=64 * 1024 * 1024).hex()


def hash_secret(secret: str) -> str:
    salt = secrets.token_hex(16)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt}${_scrypt(secret, salt, **SCRYPT)}"


def check_secret(stored: str | None, secret: str) -> bool:
    """Whether `secret` is the one stored: scrypt, or an older salted SHA-256 (upgraded by
    `upgrade_access_code` at the school's next login)."""
    if not stored:
        _scrypt(secret, "x" * 32, **SCRYPT)  # a miss takes as long as a real check
        return False
    method, *parts = stored.split("$")
    if method == "sha256":
        salt, digest = parts
        return hmac.compare_digest(digest, hashlib.sha256((salt + secret).encode()).hexdigest())
    n, r, p, salt, digest = parts
    return hmac.compare_digest(digest, _scrypt(secret, salt, int(n), int(r), int(p)))


def is_outdated_hash(stored: str) -> bool:
    return not stored.startswith(f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}$")


def upgrade_access_code(db, code: str, access_code: str) -> None:
    """Store a code that was just checked against an outdated hash with the current one."""
    with transaction(db):
        db["schools"].update(code, {"access_code_hash": hash_secret(access_code)})


def random_code(length: int) -> str:
    """Access codes and receipt references: easy to read aloud and type (no 0/O/1/I/L)."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(length))


def new_pledge_token() -> str:
    return secrets.token_urlsafe(18)


def upsert_schools(db, schools: list[School], actor: str = "cli") -> tuple[int, int]:
    """Create new schools and update name, kind and township of known ones; codes untouched."""
    created = updated = 0
    stamp = clock.timestamp()
    with transaction(db):
        for school in schools:
            row = to_row(school)
            exists = db.execute("SELECT 1 FROM schools WHERE code = ?", [school.code]).fetchone()
            if exists:
                db["schools"].update(school.code, {**row, "updated_at": stamp})
                updated += 1
            else:
                db["schools"].insert(
                    {**row, "pledge_token": new_pledge_token(), "created_at": stamp, "updated_at": stamp}
                )
                created += 1
        audit(db, actor, "schools.import", detail={"created": created, "updated": updated})
    return created, updated


def get_school(db, code: str) -> dict | None:
    return query_one(db, "SELECT * FROM schools WHERE code = ?", [code])


def school_by_pledge_token(db, token: str) -> dict | None:
    return query_one(db, "SELECT * FROM schools WHERE pledge_token = ?", [token])


def list_schools(db) -> list[dict]:
    return list(db.query("SELECT * FROM schools ORDER BY township, code"))


def issue_access_codes(db, codes: list[str] | None, actor: str) -> list[dict]:
    """New access codes for the given schools (all when None). Returned once, stored hashed."""
    issued = []
    stamp = clock.timestamp()
    with transaction(db):
        rows = (
            list(db.query("SELECT code, name, pledge_token FROM schools ORDER BY code"))
            if codes is None
            else [r for c in codes if (r := get_school(db, c))]
        )
        for row in rows:
            access_code = random_code(ACCESS_CODE_LENGTH)
            db["schools"].update(
                row["code"], {"access_code_hash": hash_secret(access_code), "access_code_issued_at": stamp}
            )
            _end_sessions(db, "school", row["code"])  # a new code ends the old one's sessions
            issued.append({**row, "access_code": access_code})
        audit(db, actor, "access_codes.issue", detail=[r["code"] for r in issued])
    return issued


def rotate_pledge_token(db, code: str, actor: str) -> str:
    token = new_pledge_token()
    with transaction(db):
        db["schools"].update(code, {"pledge_token": token, "updated_at": clock.timestamp()})
        audit(db, actor, "pledge_link.rotate", target=code)
    return token


def school_code_matching(db, typed: str) -> str | None:
    """The stored code a school typed at login, whatever its letter case (an exact match first)."""
    row = query_one(
        db,
        "SELECT code FROM schools WHERE code = ? COLLATE NOCASE ORDER BY code = ? DESC LIMIT 1",
        [typed, typed],
    )
    return row["code"] if row else None
