"""Lists in the order Chinese readers expect: by pinyin (城关镇 before 东镇 before 西乡), not by
Unicode code point (which puts 东 before 城). Pure: no Flask, no SQLite.
"""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=100_000)  # a province's townships and school names, each worked out once
def pinyin_key(text: str) -> tuple[tuple[str, ...], str]:
    """The syllables of `text` with their tone numbers (a Latin or digit run stays as it is),
    then the text itself, so two names that read alike still have one order."""
    return tuple(lazy_pinyin(text or "", style=Style.TONE3, neutral_tone_with_five=True)), text or ""


def by_pinyin(texts) -> list[str]:
    return sorted(texts, key=pinyin_key)


def school_order(township: str, name: str, code: str) -> tuple:
    """Schools as lists show them: by township, then by name, both by pinyin."""
    return pinyin_key(township), pinyin_key(name), code
