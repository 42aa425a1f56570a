"""The policy site: the strict MkDocs build, its pages, its search index, and the
directive registry's plain functions (checklist_app/directives.py)."""

from __future__ import annotations

import datetime as dt
import json
import posixpath
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from checklist_app.site import directives  # noqa: E402
from checklist_app.site.directives import Directive, DirectiveError  # noqa: E402

CONTENT = ROOT / "content"

# Pages whose paths and heading texts other parts of the project link to.
CONTRACT_HEADINGS = {
    "prevention/awareness.md": ["各级党委政府高度重视", "关乎生命安全和身体健康", "全体干部教师的职责和义务"],
    "prevention/management.md": ["校园管理", "师生管理", "师生指导"],
    "prevention/enforcement.md": ["严格执行技术方案", "落实责任", "广泛宣传"],
    "online/index.md": [
        "必须实行网上教学",
        "必须科学安排",
        "必须加强网上教学管理",
        "人员管理",
        "教学内容管理",
        "端正态度",
    ],
    "reopening/index.md": [
        "三个不开学",
        "落实“防输入”工作",
        "落实防控保障工作",
        "落实好开学的教学工作",
        "开学前学校必须完成的事项",
    ],
    "reopening/inspection.md": ["检查组", "逐项核查", "核查结果", "整改和重新申报"],
}
SECTION_PAGES = [
    "index.md",
    "prevention/index.md",
    "prevention/awareness.md",
    "prevention/management.md",
    "prevention/enforcement.md",
    "online/index.md",
    "reopening/index.md",
    "directives/index.md",
    "notices/index.md",
]
GRADE_BAND_PAGES = {
    "online/early-years.md": "幼儿和小学低年级",
    "online/middle-grades.md": "小学中高年级和初中一、二年级",
    "online/senior.md": "初三年级和高中段",
}
SPEECH_TERMS = [
    "封闭管理",
    "跟踪台账",
    "一口清",
    "第一责任人",
    "三个到位",
    "三个必须",
    "三个不开学",
    "三个落实",
    "人人有码",
    "包保排查",
    "卡点值守",
]
ASSET_ATTRS = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "track": ("src",),
}
OTHER_HOST = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)


# ---------------------------------------------------------------------------
# The build, once per session


@pytest.fixture(scope="session")
def site(built_site):
    return built_site


def html_of(site: Path, src: str) -> str:
    return (site / page_url(src) / "index.html").read_text(encoding="utf-8")


def page_url(src: str) -> str:
    """The directory URL MkDocs gives a Markdown source (use_directory_urls)."""
    stem = src.removesuffix(".md")
    if stem == "index":
        return ""
    if stem.endswith("/index"):
        return stem.removesuffix("index")
    return stem + "/"


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.h1: list[str] = []
        self._in_h1 = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "h1":
            self._in_h1 = True
            self.h1.append("")

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_h1:
            self.h1[-1] += data


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def slug(text: str) -> str:
    from pymdownx.slugs import slugify

    return slugify(case="lower")(text, "-")


# ---------------------------------------------------------------------------
# The build


def test_strict_build_passes_without_warnings(site_build):
    result, _ = site_build
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output, output


def test_site_has_a_404_page(site):
    page = site / "404.html"
    assert page.exists()
    assert "404" in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("src", SECTION_PAGES)
def test_section_page_exists(site, src):
    assert (CONTENT / src).exists()
    assert "<h1" in html_of(site, src)


@pytest.mark.parametrize("src, title", GRADE_BAND_PAGES.items())
def test_grade_band_page_exists_with_its_title(site, src, title):
    assert title in parse(html_of(site, src)).h1[0]


@pytest.mark.parametrize("src, headings", CONTRACT_HEADINGS.items())
def test_contract_headings_have_their_slug_ids(site, src, headings):
    ids = {attrs.get("id") for tag, attrs in parse(html_of(site, src)).tags if tag in ("h2", "h3")}
    for heading in headings:
        assert slug(heading) in ids, (src, heading)


def test_generated_pages_exist_with_their_titles(site):
    from checklist_app.site import pages as site_pages

    pages = site_pages.generated_pages()
    assert {"checklist.md", "pledge-text.md", "data-dictionary.md"} <= set(pages)
    for src, markdown in pages.items():
        assert not (CONTENT / src).exists(), f"{src} is generated; it must not be in content/"
        title = re.search(r"^# (.+)$", markdown, re.M).group(1).strip()
        assert title in parse(html_of(site, src)).h1[0]


def test_checklist_and_pledge_pages_are_titled_as_the_site_links_them(site):
    assert "开学准备自查清单" in parse(html_of(site, "checklist.md")).h1[0]
    assert "教育系统干部职工疫情防控承诺书" in parse(html_of(site, "pledge-text.md")).h1[0]


@pytest.mark.parametrize("term", SPEECH_TERMS)
def test_speech_term_appears_on_the_site(site, term):
    pages = [p for p in site.rglob("*.html") if term in p.read_text(encoding="utf-8")]
    assert pages, term


def test_no_asset_is_loaded_from_another_host(site):
    offenders = []
    for page in site.rglob("*.html"):
        for tag, attrs in parse(page.read_text(encoding="utf-8")).tags:
            for attr in ASSET_ATTRS.get(tag, ()):
                value = attrs.get(attr) or ""
                urls = [part.strip().split(" ")[0] for part in value.split(",")] if attr == "srcset" else [value]
                offenders += [(str(page.relative_to(site)), tag, url) for url in urls if OTHER_HOST.match(url)]
    for sheet in site.rglob("*.css"):
        for url in re.findall(r"(?:url\(\s*['\"]?|@import\s+['\"])([^'\")\s]+)", sheet.read_text(encoding="utf-8")):
            if OTHER_HOST.match(url):
                offenders.append((str(sheet.relative_to(site)), "css", url))
    assert offenders == []


def test_app_url_placeholder_is_substituted_everywhere(site):
    for page in site.rglob("*.html"):
        assert "app_url" not in page.read_text(encoding="utf-8"), page
    links = {attrs.get("href") for tag, attrs in parse(html_of(site, "index.md")).tags if tag == "a"}
    assert "/school/login" in links


# ---------------------------------------------------------------------------
# Search


@pytest.fixture(scope="session")
def search_index(site):
    return json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))


def test_search_index_is_segmented_by_jieba(search_index):
    assert any("\u200b" in entry["text"] for entry in search_index["docs"])
    assert re.search(search_index["config"]["separator"], "封闭\u200b管理")


@pytest.mark.parametrize("term", ["封闭管理", "跟踪台账"])
def test_search_entries_for_a_term_lead_to_pages_that_carry_it(site, search_index, term):
    entries = [e for e in search_index["docs"] if term in (e["title"] + e["text"]).replace("\u200b", "")]
    locations = [e["location"] for e in entries]
    assert any(loc.startswith("prevention/management/") for loc in locations), locations
    for location in locations:
        path, _, anchor = location.partition("#")
        html = (site / unquote(path) / "index.html").read_text(encoding="utf-8")
        assert term in html, location
        if anchor:
            assert f'id="{unquote(anchor)}"' in html, location


# ---------------------------------------------------------------------------
# The directive registry


def directive_sources() -> list[Path]:
    return sorted(p for p in (CONTENT / "directives").glob("*.md") if p.name != "index.md")


def test_every_directive_page_has_sound_front_matter():
    sources = directive_sources()
    assert sources
    for source in sources:
        directives.parse_directive(f"directives/{source.name}", source.read_text(encoding="utf-8"))


def test_directive_index_lists_every_directive_page(site):
    page = parse(html_of(site, "directives/index.md"))
    hrefs = set()
    in_table = 0
    for tag, attrs in page.tags:
        if tag == "table":
            in_table += 1
        if tag == "a" and in_table and attrs.get("href"):
            hrefs.add(posixpath.normpath(urljoin("/directives/", unquote(attrs["href"]))) + "/")
    expected = {"/directives/" + p.stem + "/" for p in directive_sources()}
    assert expected <= hrefs
    html = html_of(site, "directives/index.md")
    for source in directive_sources():
        title = directives.split_front_matter(source.read_text(encoding="utf-8"))[0]["title"]
        assert title in html


def test_leave_rule_is_effective_from_26_february_without_a_guessed_year():
    leave = directives.parse_directive(
        "directives/leave-rule.md", (CONTENT / "directives" / "leave-rule.md").read_text(encoding="utf-8")
    )
    assert leave.effective_from == "2月26日"


def test_no_directive_shows_a_status_the_speech_does_not_give():
    for source in directive_sources():
        meta = directives.split_front_matter(source.read_text(encoding="utf-8"))[0]
        assert meta.get("status") in (None, ""), source.name


def test_no_page_shows_a_year_or_a_dated_day_the_speech_does_not_give(site):
    # the speech dates nothing with a year; a build or post date is not a publication date
    year = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}(?:年|-[0-9]{2}-[0-9]{2})")
    for page in site.rglob("*.html"):
        text = re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))
        assert year.findall(text) == [], page


def test_directive_page_shows_its_catalogue_and_duties(site):
    html = html_of(site, "directives/leave-rule.md")
    assert "| 施行日期 |" not in html and "<td>施行日期</td>" in html and "<td>2月26日</td>" in html
    assert 'id="对学校和教职工的要求"' in html
    assert "../../prevention/management/#外出请假制度" in html


# ---------------------------------------------------------------------------
# directives.py on its own

VALID = """---
title: （未载明标题）教育局关于疫情防控的五个通知
issuer: 伊通满族自治县教育局
doc_number:
written_on:
published_on:
effective_from:
category: 疫情防控
status: 有效
disclosure:
summary: 五个通知。
duties:
  - "[校园管理](../prevention/management.md#校园管理)"
---

Body.
"""


def meta_with(**changes) -> str:
    meta, body = directives.split_front_matter(VALID)
    meta.update(changes)
    import yaml

    return "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body


def make(title="甲", **dates) -> Directive:
    fields = dict(
        path=f"directives/{title}.md",
        title=title,
        issuer="伊通满族自治县教育局",
        doc_number=None,
        written_on=None,
        published_on=None,
        effective_from=None,
        category="疫情防控",
        status=None,
        disclosure=None,
        summary="概述",
        duties=("[a](b.md)",),
    )
    fields.update(dates)
    return Directive(**fields)


def test_split_front_matter_returns_meta_and_body():
    meta, body = directives.split_front_matter(VALID)
    assert meta["issuer"] == "伊通满族自治县教育局"
    assert body.strip() == "Body."


def test_text_without_front_matter_has_empty_meta():
    assert directives.split_front_matter("# 标题\n") == ({}, "# 标题\n")


def test_parse_valid_directive_keeps_missing_values_empty():
    d = directives.parse_directive("directives/x.md", VALID)
    assert d.doc_number is None and d.published_on is None and d.disclosure is None
    assert d.display("doc_number") == directives.MISSING == "—"
    assert d.duties == ("[校园管理](../prevention/management.md#校园管理)",)


def test_dates_are_read_from_yaml_dates_and_iso_strings():
    d = directives.parse_directive(
        "directives/x.md", meta_with(effective_from=dt.date(2020, 2, 26), written_on="2020-02-20")
    )
    assert d.effective_from == dt.date(2020, 2, 26)
    assert d.written_on == dt.date(2020, 2, 20)
    assert d.display("effective_from") == "2020-02-26"


@pytest.mark.parametrize(
    "key, value", [("effective_from", "2月30号"), ("effective_from", "26/2"), ("written_on", "2月26日")]
)
def test_a_date_that_is_neither_iso_nor_a_month_day_is_refused(key, value):
    with pytest.raises(DirectiveError, match=key):
        directives.parse_directive("directives/x.md", meta_with(**{key: value}))


def test_a_month_day_without_year_is_kept_as_given_and_sorts_as_undated():
    d = directives.parse_directive("directives/x.md", meta_with(effective_from="2月26日"))
    assert d.effective_from == "2月26日" and d.display("effective_from") == "2月26日"
    assert d.newest_date is None


def test_missing_front_matter_is_refused():
    with pytest.raises(DirectiveError, match="no front matter"):
        directives.parse_directive("directives/x.md", "# 无\n")


@pytest.mark.parametrize("key", ["title", "issuer", "category", "summary"])
def test_a_required_key_left_empty_is_refused(key):
    with pytest.raises(DirectiveError, match=key):
        directives.parse_directive("directives/x.md", meta_with(**{key: ""}))


def test_an_unknown_key_is_refused():
    with pytest.raises(DirectiveError, match="unknown keys"):
        directives.parse_directive("directives/x.md", meta_with(author="某人"))


@pytest.mark.parametrize("key, value", [("category", "其他"), ("status", "待发布"), ("disclosure", "公开")])
def test_a_value_outside_its_list_is_refused(key, value):
    with pytest.raises(DirectiveError, match=key):
        directives.parse_directive("directives/x.md", meta_with(**{key: value}))


@pytest.mark.parametrize("key, value", [("category", "纪律要求"), ("status", "废止"), ("disclosure", "依申请公开")])
def test_a_value_inside_its_list_is_accepted(key, value):
    d = directives.parse_directive("directives/x.md", meta_with(**{key: value}))
    assert getattr(d, key) == value


def test_status_left_empty_shows_a_dash():
    d = directives.parse_directive("directives/x.md", meta_with(status=None))
    assert d.status is None and d.display("status") == "—"


def test_summary_of_100_characters_is_accepted():
    d = directives.parse_directive("directives/x.md", meta_with(summary="字" * 100))
    assert len(d.summary) == 100


def test_summary_of_101_characters_is_refused():
    with pytest.raises(DirectiveError, match="summary"):
        directives.parse_directive("directives/x.md", meta_with(summary="字" * 101))


@pytest.mark.parametrize("duties", [[], "[a](b.md)", ["校园管理"], ["[a](b.md) 和 [c](d.md)"]])
def test_duties_must_be_a_list_of_single_links(duties):
    with pytest.raises(DirectiveError, match="dut"):
        directives.parse_directive("directives/x.md", meta_with(duties=duties))


def test_newest_first_prefers_published_then_written_then_effective():
    a = make("甲", published_on=dt.date(2020, 3, 1), written_on=dt.date(2019, 1, 1))
    b = make("乙", written_on=dt.date(2020, 2, 1))
    c = make("丙", effective_from=dt.date(2020, 2, 26))
    undated = make("丁")
    assert directives.newest_first([undated, b, c, a]) == [a, c, b, undated]


def test_render_index_has_one_table_per_category_linking_each_directive():
    items = [make("甲", category="疫情防控"), make("乙", category="纪律要求", effective_from=dt.date(2020, 2, 26))]
    markdown = directives.render_index(items, "directives/index.md")
    for category in directives.CATEGORIES:
        assert f"## {category}" in markdown
        assert f"](#{slug(category)})" in markdown
    assert "[甲](甲.md)" in markdown and "[乙](乙.md)" in markdown
    assert markdown.count(directives.NONE_IN_CATEGORY) == 2
    row = next(line for line in markdown.splitlines() if line.startswith("| [乙]"))
    assert "2020-02-26" in row and "—" in row


def test_render_index_escapes_pipes_in_cells():
    markdown = directives.render_index([make("甲|乙")], "directives/index.md")
    assert "甲\\|乙" in markdown


def test_render_header_and_duties():
    d = make("甲", effective_from=dt.date(2020, 2, 26))
    header = directives.render_header(d)
    assert header.startswith("# 甲\n")
    assert "| 施行日期 | 2020-02-26 |" in header and "| 发文字号 | — |" in header
    assert directives.render_duties(d) == "## 对学校和教职工的要求\n\n- [a](b.md)\n"


# ---------------------------------------------------------------------------
# The hook's base URL substitution


def test_placeholders_are_substituted_with_the_base_url_and_the_names():
    from checklist_app.site import hook as site_hook

    markdown = "[申报]({{ app_url }}/school/login){ .md-button } [x]({{app_url}}/pledge/) {{ bureau_name }}"
    values = {"app_url": "https://jyj.example.cn", "bureau_name": "某县教育局", "region_name": "某县"}
    assert (
        site_hook.substitute(markdown, values)
        == "[申报](https://jyj.example.cn/school/login){ .md-button } [x](https://jyj.example.cn/pledge/) 某县教育局"
    )
    values["app_url"] = ""
    assert site_hook.substitute(markdown, values) == "[申报](/school/login){ .md-button } [x](/pledge/) 某县教育局"


def test_base_url_comes_from_the_environment_and_defaults_to_same_host():
    from checklist_app.site import hook as site_hook

    assert site_hook.app_base_url({}) == ""
    assert site_hook.app_base_url({"CHECKLIST_BASE_URL": "https://jyj.example.cn/"}) == "https://jyj.example.cn"


# ---------------------------------------------------------------------------
# The bureau's voice

SPEECH_SOURCE = CONTENT / "directives" / "speech.md"
REPORTING_WORDS = ["讲话指出", "讲话中的要求", "局长强调", "局长指出", "讲话没有", "干点啥", "局里"]
HALF_WIDTH_BESIDE_CHINESE = re.compile(r"[\u4e00-\u9fff“”（）][,:;!?()]|[,:;!?()][\u4e00-\u9fff“”（）]")


def readable(markdown: str) -> str:
    """What a reader sees of a Markdown source: no placeholders, link targets, attribute lists or comments."""
    markdown = re.sub(r"\{\{[^{}]*\}\}", "", markdown)
    markdown = re.sub(r"\]\([^()\s]*\)", "]", markdown)
    markdown = re.sub(r"\{[^{}]*\}", "", markdown)
    return re.sub(r"<!--.*?-->", "", markdown, flags=re.S)


def content_sources() -> list[Path]:
    return sorted(CONTENT.rglob("*.md"))


def test_pages_state_requirements_and_never_report_a_speech():
    for source in content_sources():
        if source == SPEECH_SOURCE:
            continue
        text = source.read_text(encoding="utf-8")
        assert [word for word in REPORTING_WORDS if word in text] == [], source


def test_content_uses_full_width_punctuation_beside_chinese():
    for source in content_sources():
        found = HALF_WIDTH_BESIDE_CHINESE.findall(readable(source.read_text(encoding="utf-8")))
        assert found == [], (source, found)


def test_every_requirement_page_names_its_source_once_at_its_foot(site):
    for page in site.rglob("index.html"):
        relative = page.relative_to(site).parent.as_posix()
        if relative in ("directives/speech", "directives", "data-dictionary", "search"):
            continue
        html = page.read_text(encoding="utf-8")
        foot = re.findall(r"依据：<a href=\"([^\"]+)\">局长在全县教育系统期初工作安排视频会议上的讲话</a>", html)
        assert len(foot) == 1, relative
        assert posixpath.normpath(posixpath.join("/" + relative, foot[0])) == "/directives/speech", relative


def test_the_speech_is_one_document_in_the_registry_unabridged_but_for_the_copying_site_header(site):
    seed = Path("/work/shared/seed/000_2881d4bc46cf6ea6.txt")
    speech = directives.parse_directive("directives/speech.md", SPEECH_SOURCE.read_text(encoding="utf-8"))
    assert speech.title == "在教育局期初工作安排视频会议的讲话"
    assert speech.status is None and speech.written_on is None and speech.published_on is None
    body = re.sub(
        r"[#\s，。：；、“”（）,.:;()]", "", directives.split_front_matter(SPEECH_SOURCE.read_text(encoding="utf-8"))[1]
    )
    for line in SPEECH_LINES:
        assert re.sub(r"[\s，。：；、“”（）,.:;()]", "", line) in body, line
    assert "美章网" not in body and "范文" not in body
    if seed.exists():  # the seed itself, where the shared folder is mounted
        lines = [line.strip() for line in seed.read_text(encoding="utf-8").splitlines() if line.strip()][4:]
        for line in lines:
            assert re.sub(r"[\s，。：；、“”（）,.:;()!?！？]", "", line) in body, line
    assert 'href="speech/"' in html_of(site, "directives/index.md")


# Lines of the speech that must be in its page, whether or not the seed is at hand.
SPEECH_LINES = [
    "校园实行封闭管理,外来人员一律不允许进入校内",
    "研究好今年的各项工作,干点啥,怎么干,什么时间干,谁来干等。",
    "各科室的负责人要对全年教育工作做具体安排和部署",
    "总之,教育系统的全体机关干部,各位科长,各学校的领导班子都要认真学习",
]
