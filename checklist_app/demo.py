"""A clearly marked demo county (示例): schools, declarations, inspections by two teams, pledges,
a roster and logins."""

from __future__ import annotations

import datetime as dt
import random
import secrets
import uuid
from contextlib import contextmanager

import schemas
from schemas import (
    CountySettings,
    Declaration,
    Pledge,
    School,
    clock,
    examples,
    pledge_text_sha256,
    verdict,
)
from schemas.inspection import CONFIRMED, CONTRADICTED, Inspection, finding_field, judged_items, note_field
from schemas.ledger import LedgerReport, is_late

from . import storage
from .web.auth import hash_password

DEMO_MARK = "（示例）"

SCHOOLS = [
    ("SL001", "城关第一小学", "小学", "城关镇"),
    ("SL002", "城关第二小学", "小学", "城关镇"),
    ("SL003", "城关中学", "初中", "城关镇"),
    ("SL004", "县第一高级中学", "高中", "城关镇"),
    ("SL005", "城关中心幼儿园", "幼儿园", "城关镇"),
    ("DF001", "东风乡中心小学", "小学", "东风乡"),
    ("DF002", "东风乡九年一贯制学校", "九年一贯制学校", "东风乡"),
    ("DF003", "东风乡中心幼儿园", "幼儿园", "东风乡"),
    ("DF004", "东风乡初级中学", "初中", "东风乡"),
    ("XH001", "新华镇中心小学", "小学", "新华镇"),
    ("XH002", "新华镇中学", "初中", "新华镇"),
    ("XH003", "县职业技术学校", "职业学校", "新华镇"),
]
BUREAU = ("JYJ", "县教育局机关", schemas.BUREAU_KIND, "城关镇")
# Two inspection teams, each with the schools of its townships and one inspector account.
TEAMS = {"第一检查组": ("城关镇",), "第二检查组": ("东风乡", "新华镇")}
INSPECTORS = {"jc1": "第一检查组", "jc2": "第二检查组"}

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def declaration_answers(rng: random.Random, ready: bool, settings: CountySettings) -> dict:
    """A school's valid declaration (`schemas.examples`) with its own people and stocks."""
    staff = rng.randrange(20, 120)
    students = rng.randrange(150, 1500)
    staff_out, students_out = rng.randrange(0, 4), rng.randrange(0, 30)
    own = {
        "staff_total": staff,
        "staff_in_county": staff - staff_out,
        "staff_out_county_in_province": staff_out,
        "staff_out_of_province": 0,
        "students_total": students,
        "students_in_county": students - students_out,
        "students_out_county_in_province": students_out // 2,
        "students_out_of_province": students_out - students_out // 2,
        "returned_today": rng.randrange(0, 5),
        "isolating": rng.randrange(0, 8),
        "disinfectant_litres": "120.5",
        "thermometers": rng.randrange(2, 10),
        "masks": (staff + students) * 14 + rng.randrange(0, 500),  # reported; judged only if the county sets mask_days
        "special_students": rng.randrange(0, 40),
        "work_plan": "开学前召开领导班子会，研究今年各项工作：做什么、怎么做、什么时间做、由谁做。",
        "principal_phone": phone(rng),
    }
    if not ready:  # an honest "not yet": a few items of 条件二 and 条件三 still open
        own["supplies_stocked"] = False
        own["staff_code_registered"] = staff - rng.randrange(1, 6)
        own["all_staff_registered"] = False
        own["campus_disinfected"] = False
        own["winter_waste_cleared"] = False
    return examples.declaration_answers(settings, person=person_name(rng), **own)


def load_demo(db, seed: int | None = None) -> dict:
    """Fill an empty database with the demo county; returns the logins, shown once."""
    if db.execute("SELECT COUNT(*) FROM schools").fetchone()[0]:
        raise ValueError("数据库中已有学校数据，示例数据只能载入空数据库")
    rng = random.Random(seed)
    settings = CountySettings(epidemic_controlled=True)
    passwords = {username: secrets.token_urlsafe(12) for username in INSPECTORS}
    for moment, event in sorted(_fortnight(rng, settings, passwords), key=lambda pair: pair[0]):
        with _as_of(moment):
            event(db)

    for code, *_rest in [*SCHOOLS[:6], BUREAU]:
        people = [
            {"name": person_name(rng), "phone": phone(rng), "role": "cadre" if code == "JYJ" else "teacher"}
            for _ in range(rng.randrange(8, 16))
        ]
        people = list({(p["name"], p["phone"]): p for p in people}.values())
        storage.replace_roster(db, code, people, actor="demo")
        for person in people[: len(people) * 2 // 3]:
            pledge = Pledge.model_validate(
                examples.pledge_answers(person["name"], phone=person["phone"], role=person["role"])
            )
            storage.record_pledge(db, code, pledge, pledge_text_sha256())

    load_ledger_history(db, rng, [code for code, *_rest in SCHOOLS], settings.ledger_deadline)

    codes = storage.issue_access_codes(db, None, actor="demo")
    password = secrets.token_urlsafe(12)
    storage.create_admin(db, "admin", hash_password(password))
    inspectors = [(username, passwords[username], team) for username, team in INSPECTORS.items()]
    return {"admin": ("admin", password), "inspectors": inspectors, "schools": codes}


# --- the county's last fortnight: declarations and inspections ---------------------------------

# Who declared, and how: ten schools, most ready, some not; SL001 declared again after the
# team found its duty rota wanting (待复查), SL005 after catching up.
FIRST_DAY = 11  # days before today that the county was set up
SECOND_VERSIONS = {"SL001": (5, True), "SL005": (4, False)}  # days before today, ready the first time
# What the teams found, by school: (days before today, items found 相符 (None: every item), items
# found 不符 with the team's note, days from the inspection to the 整改期限).
INSPECTIONS = {
    "SL001": (7, ("closed_management", "visitors_barred"), {"duty_rota": "带班领导未在岗，值班表未张贴"}, 3),
    "SL002": (6, ("closed_management", "visitors_barred", "entry_checks", "duty_rota", "hygiene_routine"), {}, None),
    "SL004": (2, None, {}, None),
    "DF002": (
        6,
        ("closed_management", "entry_checks"),
        {"returnees_isolated": "两名从县域外返回的教师未按规定隔离"},
        4,
    ),
    "DF003": (1, ("duty_rota",), {"closed_management": "校门无人值守，外来人员可随意进入"}, 4),
    "XH001": (3, ("closed_management", "visitors_barred", "entry_checks", "returnees_isolated"), {}, None),
}


@contextmanager
def _as_of(moment: dt.datetime):
    """What is recorded inside is recorded at `moment`: the demo replays the county's fortnight
    through the storage verbs, so the times and dates they store agree with one another (an
    inspection after the version it checked, a 整改期限 already passed). It moves the one clock
    (`schemas.clock.now`, looked up on the module by everything) and puts it back."""
    real = clock.now
    clock.now = lambda: moment
    try:
        yield
    finally:
        clock.now = real


def _fortnight(rng: random.Random, settings: CountySettings, passwords: dict[str, str]) -> list:
    """(moment, what happened then) for the county's set-up (its schools, settings, teams and
    inspectors with `passwords`), its declarations and its inspections, each a function of the
    database."""
    today = clock.now().replace(second=0, microsecond=0)

    def on(days_ago: int, hour: int, minute: int = 0) -> dt.datetime:
        return (today - dt.timedelta(days=days_ago)).replace(hour=hour, minute=minute)

    def set_up(db):
        schools = [School(code=c, name=n + DEMO_MARK, kind=k, township=t) for c, n, k, t in [*SCHOOLS, BUREAU]]
        storage.upsert_schools(db, schools, actor="demo")
        storage.save_settings(db, settings, actor="demo")
        for team, townships in TEAMS.items():
            storage.assign_schools(db, team, townships=townships, actor="demo")
        for username, team in INSPECTORS.items():
            storage.create_admin(db, username, hash_password(passwords[username]), role="inspector", team=team)

    def declare(code: str, ready: bool):
        def event(db):
            declaration = Declaration.model_validate(declaration_answers(rng, ready, settings))
            storage.record_declaration(db, code, declaration, verdict(declaration, settings), uuid.uuid4().hex)

        return event

    events = [(on(FIRST_DAY, 9), set_up)]
    for index, (code, *_rest) in enumerate(SCHOOLS[:10]):
        days_ago, ready_first = SECOND_VERSIONS.get(code, (None, index % 3 != 2))
        events.append((on(FIRST_DAY - 1, 8, 30 + 3 * index), declare(code, ready_first)))
        if days_ago is not None:
            events.append((on(days_ago, 16), declare(code, True)))
    for code, (days_ago, confirmed, contradicted, rectify_in) in INSPECTIONS.items():
        events.append((on(days_ago, 10), _inspect(rng, code, confirmed, contradicted, rectify_in)))
    return events


def _inspect(rng: random.Random, code: str, confirmed, contradicted: dict[str, str], rectify_in: int | None):
    """An inspection of the school's latest version today (as the replay has it) by its team's
    inspector, recorded as the inspector's submit records it."""

    def event(db):
        today = clock.today()
        answers = {
            "inspected_on": today,
            "inspectors": "、".join(person_name(rng) for _ in range(2)),
            "summary": "所查事项与学校申报一致。" if not contradicted else "核查不符的事项请按期整改，整改后重新申报。",
            "rectify_by": today + dt.timedelta(days=rectify_in) if rectify_in is not None else None,
        }
        for item in confirmed if confirmed is not None else (name for name, _label in judged_items()):
            answers[finding_field(item)] = CONFIRMED
        for item, note in contradicted.items():
            answers[finding_field(item)] = CONTRADICTED
            answers[note_field(item)] = note
        team = storage.team_of(db, code)
        inspector = next(username for username, of in INSPECTORS.items() if of == team)
        version = storage.latest_declaration(db, code)["version"]
        storage.record_inspection(
            db, code, team, version, Inspection.model_validate(answers), inspector, uuid.uuid4().hex
        )

    return event


# --- two weeks of the daily tracking ledger ---------------------------------------------------

LEDGER_DAYS = 14
DEMO_REPORT_HOUR = dt.time(14, 0)  # when the demo's schools report; no deadline unless the county sets one

MEASURES = (
    "返县师生一律居家隔离14天，包保教师每日电话联系，每日两次测温",
    "返县师生居家观察，每日网上签到报告体温，班主任跟踪",
    "已登记返县行程，居家隔离14天，社区和学校共同管理",
)


class _Whereabouts:
    """One school's people over the holiday: most away at first, coming back day by day."""

    def __init__(self, rng: random.Random, staff: int, students: int):
        self.rng = rng
        self.staff = {"total": staff, "county": 0, "province": rng.randrange(staff // 10, staff // 4 + 1)}
        self.staff["country"] = rng.randrange(0, max(staff // 12, 1) + 1)
        self.students = {"total": students, "province": rng.randrange(students // 10, students // 5 + 1)}
        self.students["country"] = rng.randrange(students // 30, students // 12 + 1)
        for group in (self.staff, self.students):
            group["county"] = group["total"] - group["province"] - group["country"]

    def day(self, away_share: float) -> tuple[int, int]:
        """People coming back today (a few leave again now and then); returns (staff, students)."""
        returned = []
        for group in (self.staff, self.students):
            back = 0
            for place in ("province", "country"):
                moving = min(group[place], round(group[place] * self.rng.uniform(0, away_share)))
                group[place] -= moving
                back += moving
            group["county"] += back
            if self.rng.random() < 0.15 and group["county"] > 0:  # someone leaves on leave
                group["county"] -= 1
                group["province"] += 1
            returned.append(back)
        return returned[0], returned[1]


def load_ledger_history(db, rng: random.Random, codes: list[str], deadline: dt.time | None) -> None:
    """Two weeks of plausible reports per school, written in one transaction: numbers drifting
    day to day, returns with measures, isolation for 14 days after a return, a few late reports
    and a few schools missing today. Older days are past the 3-day window the model allows, so
    rows are built as the model would store them (`model_construct`)."""
    now = clock.now()
    today = now.date()
    missing_today = set(rng.sample(codes, 3))
    rows = []
    for code in codes:
        staff, students = rng.randrange(20, 120), rng.randrange(150, 1500)
        whereabouts = _Whereabouts(rng, staff, students)
        reporter = person_name(rng)
        returns: list[int] = []
        for back in range(LEDGER_DAYS - 1, -1, -1):
            day = today - dt.timedelta(days=back)
            returned_staff, returned_students = whereabouts.day(rng.uniform(0.02, 0.12))
            returns.append(returned_staff + returned_students)
            if (back == 0 and code in missing_today) or rng.random() < 0.04:
                continue  # not reported that day
            s, p = whereabouts.staff, whereabouts.students
            report = LedgerReport.model_construct(
                report_date=day,
                staff_total=s["total"],
                staff_in_county=s["county"],
                staff_out_county_in_province=s["province"],
                staff_out_of_province=s["country"],
                students_total=p["total"],
                students_in_county=p["county"],
                students_out_county_in_province=p["province"],
                students_out_of_province=p["country"],
                returned_staff=returned_staff,
                returned_students=returned_students,
                isolating=sum(returns[-14:]),
                on_leave_out_of_county=s["province"] + s["country"],
                measures=rng.choice(MEASURES) if returned_staff + returned_students else None,
                reporter=reporter,
            )
            late = rng.random() < 0.1  # the day's work done by 14:00, some reports in the afternoon
            at = dt.datetime.combine(day, DEMO_REPORT_HOUR, clock.TZ) + dt.timedelta(
                minutes=rng.randrange(10, 240) if late else -rng.randrange(20, 360)
            )
            at = min(at, now)
            stamp = at.isoformat(timespec="seconds")
            rows.append(
                {
                    "school_code": code,
                    **storage.to_row(report),
                    "submitted_at": stamp,
                    "updated_at": stamp,
                    "late": int(is_late(day, at, deadline)),
                }
            )
    with storage.transaction(db):
        db["ledger_reports"].insert_all(rows)
        storage.audit(db, "demo", "ledger.demo", detail={"rows": len(rows)})
