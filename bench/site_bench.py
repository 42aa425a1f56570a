"""Site benchmark: how long the site takes to build, and the bytes a phone downloads for a page.

For each page: the HTML plus every stylesheet, script, icon and image it references (and any
file a stylesheet loads with url()), fetched from the app (waitress in a thread) on 127.0.0.1 with
`Accept-Encoding: gzip, br`, each counted as transferred (the body after compression, headers
aside). The same is measured for a stock Material page of the same text: a temporary MkDocs
project with the same Markdown, `theme: material` with `font: false` and the same Markdown
extensions, no overrides, no extra CSS. It prints our bytes / stock bytes (the target is at most
1.3). It prints figures and asserts nothing.

    python bench/site_bench.py            # small: the home page
    python bench/site_bench.py --full     # the home page and a grade-band page, and timings
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import brotli
from waitress import create_server

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from checklist_app import create_app  # noqa: E402

PAGES = {"/": "index.md", "/online/early-years/": "online/early-years.md"}
TARGET = 1.3
PHONE = "Mozilla/5.0 (Linux; Android 12) AppleWebKit/537.36 (KHTML, like Gecko) Mobile MicroMessenger/8.0"


# --- building --------------------------------------------------------------------------------


def build(config: Path, out: Path, strict: bool) -> float:
    started = time.perf_counter()
    command = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config), "-d", str(out)]
    result = subprocess.run(
        command + (["--strict"] if strict else []), cwd=config.parent, capture_output=True, text=True
    )
    if result.returncode:
        sys.exit(f"mkdocs build of {config} failed:\n{result.stdout}{result.stderr}")
    return time.perf_counter() - started


def stock_project(root: Path, pages: list[str]) -> Path:
    """A plain Material project holding the same Markdown as our pages."""
    ours = (REPO_ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    site_name = re.search(r"^site_name:.*$", ours, re.M).group(0)
    extensions = re.search(r"^markdown_extensions:\n(?:[ \t].*\n|\n)*", ours, re.M).group(0)
    for page in pages:
        source = REPO_ROOT / "content" / PAGES[page]
        target = root / "docs" / PAGES[page]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(
        f"{site_name}\nuse_directory_urls: true\ntheme:\n  name: material\n  language: zh\n  font: false\n{extensions}",
        encoding="utf-8",
    )
    return config


# --- serving and fetching --------------------------------------------------------------------


class Server:
    """The app serving a built site, as `checklist serve` does, on a free port."""

    def __init__(self, site: Path, workdir: Path):
        app = create_app({"DATABASE": str(workdir / "bench.db"), "SECRET_KEY": "bench", "SITE_DIR": str(site)})
        self.server = create_server(app, host="127.0.0.1", port=0, threads=4)
        self.base = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.close()


def fetch(url: str) -> dict:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip, br", "User-Agent": PHONE})
    with urllib.request.urlopen(request) as response:
        body = response.read()
        encoding = response.headers.get("Content-Encoding", "")
        content_type = response.headers.get_content_type()
    plain = {"br": brotli.decompress, "gzip": gzip.decompress}.get(encoding, lambda d: d)(body)
    return {"url": url, "bytes": len(body), "plain": plain, "encoding": encoding or "-", "type": content_type}


class References(HTMLParser):
    """What a browser loads with the page: stylesheets, scripts, icons, images."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        rel = (attrs.get("rel") or "").split()
        if tag == "link" and {"stylesheet", "icon", "preload", "modulepreload"} & set(rel):
            self.found.append(attrs.get("href"))
        elif tag in ("script", "img", "source") and attrs.get("src"):
            self.found.append(attrs["src"])


CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


def page_transfer(base: str, path: str) -> tuple[list[dict], list[str]]:
    """Every resource of the page as transferred, and any reference to another host."""
    page = fetch(base + path)
    parser = References()
    parser.feed(page["plain"].decode("utf-8"))
    resources, external, seen = [page], [], {page["url"]}
    queue = [urljoin(page["url"], ref) for ref in parser.found if ref]
    while queue:
        url = queue.pop(0)
        if urlsplit(url).netloc != urlsplit(base).netloc:
            external.append(url)
            continue
        url = url.split("#", 1)[0]
        if url in seen:
            continue
        seen.add(url)
        got = fetch(url)
        resources.append(got)
        if got["type"] == "text/css":
            queue += [
                urljoin(url, ref)
                for ref in CSS_URL.findall(got["plain"].decode("utf-8", "replace"))
                if not ref.startswith("data:")
            ]
    return resources, external


def request_times(url: str, count: int) -> tuple[float, float]:
    """The first request (compresses, then keeps) and the median of the next ones, in ms."""
    times = []
    for _ in range(count + 1):
        started = time.perf_counter()
        fetch(url)
        times.append((time.perf_counter() - started) * 1000)
    return times[0], statistics.median(times[1:])


# --- report ----------------------------------------------------------------------------------


def print_request_times(site: Path, workdir: Path) -> None:
    """On a new server: the first request compresses a file once, the next ones reuse it."""
    (bundle,) = site.glob("assets/javascripts/bundle.*.min.js")
    paths = ["/", "/" + bundle.relative_to(site).as_posix(), "/search/search_index.json"]
    print("\nrequest time on a new server, ms (first: compressed and kept; then: median of 20)")
    with Server(site, workdir) as server:
        for path in paths:
            first, median = request_times(server.base + path, 20)
            print(f"  {path:<58} first {first:7.1f}   then {median:6.1f}")


def print_page(label: str, base: str, resources: list[dict], external: list[str]) -> int:
    print(f"\n{label}")
    print(f"  {'resource':<58} {'type':<24} {'enc':<5} {'bytes':>8} {'uncompressed':>13}")
    for r in resources:
        print(f"  {r['url'][len(base) :]:<58} {r['type']:<24} {r['encoding']:<5} {r['bytes']:>8} {len(r['plain']):>13}")
    total = sum(r["bytes"] for r in resources)
    print(
        f"  {'total (' + str(len(resources)) + ' requests)':<58} {'':<24} {'':<5} {total:>8} "
        f"{sum(len(r['plain']) for r in resources):>13}"
    )
    for url in external:
        print(f"  WARNING: references another host: {url}")
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="both pages, and request timings")
    args = parser.parse_args()
    pages = list(PAGES) if args.full else ["/"]

    with tempfile.TemporaryDirectory(prefix="site-bench-") as tmp:
        tmp = Path(tmp)
        ours_site, stock_site = tmp / "ours", tmp / "stock"
        ours_seconds = build(REPO_ROOT / "mkdocs.yml", ours_site, strict=True)
        stock_seconds = build(stock_project(tmp / "stock-project", pages), stock_site, strict=False)
        print(
            f"site build (mkdocs build): ours {ours_seconds:.2f} s "
            f"({sum(1 for _ in ours_site.rglob('*.html'))} pages); stock Material {stock_seconds:.2f} s"
        )
        print("transfer: bytes of each body as sent with Accept-Encoding: gzip, br (headers not counted)")

        ratios = []
        with Server(ours_site, tmp) as ours, Server(stock_site, tmp) as stock:
            for path in pages:
                our_bytes = print_page(f"page {path} (ours)", ours.base, *page_transfer(ours.base, path))
                stock_bytes = print_page(
                    f"page {path} (stock Material, same text)", stock.base, *page_transfer(stock.base, path)
                )
                ratios.append((path, our_bytes, stock_bytes))
        if args.full:
            print_request_times(ours_site, tmp)

        print()
        for path, our_bytes, stock_bytes in ratios:
            print(
                f"ratio {path}: ours/stock = {our_bytes / stock_bytes:.2f} "
                f"(ours {our_bytes} B, stock {stock_bytes} B; target <= {TARGET})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
