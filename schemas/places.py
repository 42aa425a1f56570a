"""Where the school's people are: the eight counts of the tracking ledger, defined once.

The declaration's 师生管理 section holds a snapshot of them and the daily ledger report the same
numbers every day (`spec/readiness.md`, `spec/ledger.md`): one name, one label and one sum rule
per count across the product. A model takes them by inheriting `PlaceCounts`.
"""

from __future__ import annotations

from typing import Any

from .base import ChecklistModel, item, sum_rule

# A technical cap that keeps a count inside what a school can have and SQLite can store.
MAX_PEOPLE = 100_000


def people_count(label: str, **kwargs: Any) -> Any:
    return item(label, ge=0, le=MAX_PEOPLE, **kwargs)


STAFF_PLACES = ("staff_in_county", "staff_out_county_in_province", "staff_out_of_province")
STUDENT_PLACES = ("students_in_county", "students_out_county_in_province", "students_out_of_province")


def total_people(m) -> int:
    return m.staff_total + m.students_total


class PlaceCounts(ChecklistModel):
    """The eight counts and their sum rules.

    pydantic orders fields by the reversed method resolution order: a model that lists a dated
    base after `PlaceCounts` (`class People(Section, PlaceCounts, LedgerDate)`) gets its date
    first, then these eight, then its own fields.
    """

    staff_total: int = people_count("教职工总数")
    staff_in_county: int = people_count("教职工在本县内人数")
    staff_out_county_in_province: int = people_count("教职工在县外省内人数")
    staff_out_of_province: int = people_count("教职工在省外人数", help="本县内、县外省内、省外三项之和应等于教职工总数")
    students_total: int = people_count("学生总数")
    students_in_county: int = people_count("学生在本县内人数")
    students_out_county_in_province: int = people_count("学生在县外省内人数")
    students_out_of_province: int = people_count("学生在省外人数", help="本县内、县外省内、省外三项之和应等于学生总数")

    rules = (
        sum_rule("staff_total", STAFF_PLACES, "教职工在本县内、县外省内、省外的人数之和应等于教职工总数"),
        sum_rule("students_total", STUDENT_PLACES, "学生在本县内、县外省内、省外的人数之和应等于学生总数"),
    )


PLACE_COUNTS = tuple(PlaceCounts.model_fields)
