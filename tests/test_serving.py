"""Served well by the embedded default: compressed, cached as each kind of file should be,
HEAD and conditional requests answered."""

from __future__ import annotations

import gzip

import brotli
import pytest
from flask import request

from checklist_app import create_app
from checklist_app.web import serving
from checklist_app.web.site_files import is_fingerprinted

BR = {"Accept-Encoding": "gzip, deflate, br"}
GZ = {"Accept-Encoding": "gzip, deflate"}
YEAR = "public, max-age=31536000, immutable"


@pytest.fixture
def site_app(tmp_path, built_site):
    return create_app(
        {"DATABASE": str(tmp_path / "c.db"), "SECRET_KEY": "k", "TESTING": True, "SITE_DIR": str(built_site)}
    )


@pytest.fixture
def web(site_app):
    return site_app.test_client()


@pytest.fixture
def bundle(built_site) -> str:
    """Material's fingerprinted JavaScript bundle, as the built site names it."""
    (path,) = built_site.glob("assets/javascripts/bundle.*.min.js")
    return "/" + path.relative_to(built_site).as_posix()


def decoded(response) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    data = response.get_data()
    return {"br": brotli.decompress, "gzip": gzip.decompress}.get(encoding, lambda d: d)(data)


def test_home_page_comes_back_brotli_compressed_with_a_short_cache(web, built_site):
    page = web.get("/", headers=BR)
    assert page.status_code == 200
    assert page.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in page.headers["Vary"]
    assert page.headers["Cache-Control"] == "public, max-age=300"
    assert "Cookie" not in page.headers["Vary"]  # the same page for everyone: no session read
    assert decoded(page) == (built_site / "index.html").read_bytes()
    assert int(page.headers["Content-Length"]) < (built_site / "index.html").stat().st_size / 3


def test_home_page_comes_back_gzipped_to_a_client_without_brotli(web, built_site):
    page = web.get("/", headers=GZ)
    assert page.headers["Content-Encoding"] == "gzip"
    assert decoded(page) == (built_site / "index.html").read_bytes()


def test_a_client_that_accepts_no_encoding_gets_the_file_as_it_is(web, built_site):
    page = web.get("/")
    assert "Content-Encoding" not in page.headers
    assert page.get_data() == (built_site / "index.html").read_bytes()
    assert "Accept-Encoding" in page.headers["Vary"]


@pytest.mark.parametrize("headers,encoding", [(BR, "br"), (GZ, "gzip")])
def test_a_fingerprinted_asset_is_compressed_and_cached_for_a_year(web, built_site, bundle, headers, encoding):
    asset = web.get(bundle, headers=headers)
    assert asset.status_code == 200
    assert asset.headers["Content-Encoding"] == encoding
    assert asset.headers["Cache-Control"] == YEAR
    assert decoded(asset) == (built_site / bundle.lstrip("/")).read_bytes()
    assert "Accept-Ranges" not in asset.headers


def test_a_file_without_a_hash_in_its_name_is_revalidated_after_five_minutes(web):
    index = web.get("/search/search_index.json", headers=BR)
    assert index.headers["Cache-Control"] == "public, max-age=300"
    assert index.headers["Content-Encoding"] == "br"


def test_fingerprinted_means_a_hex_hash_as_a_dotted_part_of_the_name():
    assert is_fingerprinted("assets/javascripts/bundle.a5f9d56c.min.js")
    assert is_fingerprinted("assets/stylesheets/main.57a0d79d.min.css")
    assert is_fingerprinted("assets/javascripts/workers/search.a7633da7.min.js.map")
    assert not is_fingerprinted("assets/stylesheets/extra.css")
    assert not is_fingerprinted("online/early-years/index.html")
    assert not is_fingerprinted("assets/javascripts/lunr/min/lunr.zh.min.js")


def test_each_encoding_has_its_own_etag(web, bundle):
    tags = {web.get(bundle, headers=h).headers["ETag"] for h in (BR, GZ, {})}
    assert len(tags) == 3


@pytest.mark.parametrize("headers", [BR, GZ, {}])
def test_a_conditional_request_with_the_etag_gets_304(web, headers):
    first = web.get("/online/early-years/", headers=headers)
    again = web.get("/online/early-years/", headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == "public, max-age=300"


def test_a_conditional_request_for_an_asset_gets_304_with_its_long_cache(web, bundle):
    first = web.get(bundle, headers=BR)
    again = web.get(bundle, headers={**BR, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == YEAR


def test_the_etag_of_another_encoding_does_not_get_304(web):
    gzipped = web.get("/", headers=GZ)
    asked = web.get("/", headers={**BR, "If-None-Match": gzipped.headers["ETag"]})
    assert asked.status_code == 200
    assert asked.headers["Content-Encoding"] == "br"


def test_if_modified_since_gets_304(web):
    first = web.get("/", headers=BR)
    again = web.get("/", headers={**BR, "If-Modified-Since": first.headers["Last-Modified"]})
    assert again.status_code == 304


def test_head_gives_the_headers_of_get_without_a_body(web):
    got = web.get("/", headers=BR)
    head = web.head("/", headers=BR)
    assert head.status_code == 200
    assert head.get_data() == b""
    for name in ("Content-Encoding", "Content-Length", "ETag", "Cache-Control"):
        assert head.headers[name] == got.headers[name]


def test_a_range_request_gets_the_bytes_it_asked_for_uncompressed(web, built_site):
    part = web.get("/", headers={**BR, "Range": "bytes=0-99"})
    assert part.status_code == 206
    assert "Content-Encoding" not in part.headers
    assert part.get_data() == (built_site / "index.html").read_bytes()[:100]


def test_an_image_is_not_compressed_again(web, built_site):
    (icon,) = built_site.glob("assets/images/favicon.png")
    got = web.get("/assets/images/favicon.png", headers=BR)
    assert "Content-Encoding" not in got.headers
    assert got.get_data() == icon.read_bytes()


def test_a_tiny_body_is_not_compressed(web):
    health = web.get("/healthz", headers={**BR, "Sec-Fetch-Site": "same-origin"})
    assert health.status_code == 200
    assert health.get_json() == {"status": "ok"}
    assert "Content-Encoding" not in health.headers


def test_the_site_404_page_is_compressed_and_never_a_304(web):
    missing = web.get("/no-such-page/", headers=BR)
    assert missing.status_code == 404
    assert missing.headers["Content-Encoding"] == "br"
    assert "ETag" not in missing.headers
    assert web.get("/no-such-page/", headers={**BR, "If-None-Match": "*"}).status_code == 404


def test_an_app_page_is_compressed_for_a_same_origin_request(web):
    page = web.get("/school/login", headers={**BR, "Sec-Fetch-Site": "same-origin"})
    assert page.status_code == 200
    assert page.headers["Content-Encoding"] == "br"
    assert "school_code" in decoded(page).decode()
    assert page.headers["Cache-Control"] == "no-store"


def test_an_app_page_is_not_compressed_for_a_cross_site_request(web):
    """BREACH: another site must not be able to measure a compressed page holding a CSRF token."""
    for fetch_site in ("cross-site", "same-site", None):
        headers = {**BR, **({"Sec-Fetch-Site": fetch_site} if fetch_site else {})}
        page = web.get("/school/login", headers=headers)
        assert page.status_code == 200
        assert "Content-Encoding" not in page.headers, fetch_site


def test_a_compressed_file_is_kept_and_served_again_from_memory(web, bundle, monkeypatch):
    web.get(bundle, headers=BR)
    calls = []
    monkeypatch.setattr(serving, "compress", lambda *a, **k: calls.append(a) or b"")
    again = web.get(bundle, headers=BR)
    assert calls == []
    assert len(again.get_data()) > 1000


def test_the_memory_for_compressed_files_stays_within_its_budget():
    kept = serving.CompressedFiles(budget=100)
    for n in range(10):
        kept.put((f'"{n}"', "br"), b"x" * 30)
    assert kept.size <= 100
    assert kept.get(('"9"', "br")) == b"x" * 30
    assert kept.get(('"0"', "br")) is None


@pytest.mark.parametrize(
    "accept,chosen",
    [
        ("gzip, deflate, br", "br"),
        ("gzip", "gzip"),
        ("br;q=0.5, gzip", "gzip"),
        ("br;q=0, gzip", "gzip"),
        ("identity", None),
        ("", None),
        ("*", "br"),
    ],
)
def test_the_encoding_chosen_follows_accept_encoding(accept, chosen):
    from werkzeug.datastructures import Accept
    from werkzeug.http import parse_accept_header

    assert serving.chosen_encoding(parse_accept_header(accept, Accept)) == chosen


def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for(tmp_path):
    app = create_app({"DATABASE": str(tmp_path / "c.db"), "SECRET_KEY": "k", "TESTING": True, "PROXY_HOPS": 1})
    app.add_url_rule("/healthz/address", "address", lambda: request.remote_addr)
    got = app.test_client().get("/healthz/address", headers={"X-Forwarded-For": "203.0.113.7"})
    assert got.get_data(as_text=True) == "203.0.113.7"


def test_without_a_proxy_x_forwarded_for_is_ignored(tmp_path):
    app = create_app({"DATABASE": str(tmp_path / "c.db"), "SECRET_KEY": "k", "TESTING": True})
    app.add_url_rule("/healthz/address", "address", lambda: request.remote_addr)
    got = app.test_client().get("/healthz/address", headers={"X-Forwarded-For": "203.0.113.7"})
    assert got.get_data(as_text=True) != "203.0.113.7"


def test_the_server_runs_one_gthread_worker_per_core_given_and_trusts_no_proxy_itself():
    options = serving.server_options("127.0.0.1", 8000, workers=3, threads=4)
    assert options["bind"] == "127.0.0.1:8000"
    assert (options["workers"], options["threads"], options["worker_class"]) == (3, 4, "gthread")
    assert options["forwarded_allow_ips"] == ""  # X-Forwarded-* is ProxyFix's, as configured
    assert serving.server_options("::1", 8000, 1, 1)["bind"] == "[::1]:8000"
