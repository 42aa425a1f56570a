"""The production server (`run_server`), and responses as a phone should get them: compressed
(brotli or gzip, as the client accepts).

`checklist serve` runs gunicorn: one worker process per core, each with a pool of threads, so a
rush of submissions has every core of the machine (one Python process does its work on about one
core). SQLite takes writers from several processes; `storage.WriterQueue` queues them.

One `after_request` hook serves both the built site's files and the app's pages, so
`checklist serve` needs no front server. A site file is compressed once per version and
encoding, at the best level, and kept in memory (its ETag names the version); after that first
request the bytes are the same as precompressed files would be, without `.gz`/`.br` copies in
`site/` that could go stale. App pages are compressed per response at a fast level.

Each encoding has its own strong ETag (`"<etag>-br"`), so conditional requests stay exact;
`Vary: Accept-Encoding` tells caches the body depends on it.

BREACH: an app page holds a CSRF token and may echo what was typed. It is compressed only for a
request the browser marks as same-origin or typed by the user (`Sec-Fetch-Site`), never for a
request another site could have made the browser send.
"""

from __future__ import annotations

import gc
import gzip
import os
import threading
from collections import OrderedDict
from typing import Callable

import brotli
from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from .security import is_app_path

MIN_SIZE = 512  # below this, the headers outweigh the gain
COMPRESSIBLE = {
    "application/javascript",
    "application/json",
    "application/manifest+json",
    "application/xml",
    "application/x-javascript",
    "image/svg+xml",
}
SAFE_FETCH_SITES = {"same-origin", "none"}
CACHE_BUDGET = 32 * 1024 * 1024  # compressed site files kept in memory, in bytes
ETAG_SUFFIX = {"br": "br", "gzip": "gz"}


def is_compressible(mimetype: str | None) -> bool:
    return bool(mimetype) and (mimetype.startswith("text/") or mimetype in COMPRESSIBLE)


def chosen_encoding(accept_encodings) -> str | None:
    """Brotli when the client accepts it at least as well as gzip, else gzip, else none."""
    br, gz = accept_encodings["br"], accept_encodings["gzip"]
    if br and br >= gz:
        return "br"
    return "gzip" if gz else None


def compress(data: bytes, encoding: str, best: bool) -> bytes:
    """`best` for files compressed once and kept; a fast level for every-request pages."""
    if encoding == "br":
        quality = (11 if len(data) <= 512 * 1024 else 9) if best else 5
        # a window no larger than the body (brotli's default is 4 MB): the same bytes out, and
        # a page of a few KB costs a third less to compress
        window = min(22, max(16, len(data).bit_length()))
        return brotli.compress(data, quality=quality, lgwin=window)
    return gzip.compress(data, compresslevel=9 if best else 6, mtime=0)


class CompressedFiles:
    """Compressed bodies of files by (ETag, encoding), least recently used dropped first."""

    def __init__(self, budget: int = CACHE_BUDGET):
        self.budget = budget
        self.size = 0
        self.entries: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> bytes | None:
        with self.lock:
            body = self.entries.get(key)
            if body is not None:
                self.entries.move_to_end(key)
            return body

    def put(self, key: tuple[str, str], body: bytes) -> None:
        with self.lock:
            if key in self.entries or len(body) > self.budget:
                return
            self.entries[key] = body
            self.size += len(body)
            while self.size > self.budget:
                _, dropped = self.entries.popitem(last=False)
                self.size -= len(dropped)


def _is_file(response) -> bool:
    """A response made by send_file (a site file or /static): a fixed body with an ETag."""
    return response.direct_passthrough and response.get_etag()[0] is not None


def _may_compress(response) -> bool:
    if response.status_code in (204, 206, 304) or response.status_code < 200:
        return False
    if "Content-Encoding" in response.headers or "Range" in request.headers:
        return False
    if response.headers.get("Content-Disposition", "").startswith("attachment"):
        return False  # downloads go as they are
    if "no-transform" in response.headers.get("Cache-Control", ""):
        return False
    if response.is_streamed and not _is_file(response):
        return False
    if is_app_path(request.path) and not request.path.startswith("/static"):
        return request.headers.get("Sec-Fetch-Site") in SAFE_FETCH_SITES
    return True


def compress_response(response):
    if not is_compressible(response.mimetype):
        return response
    response.vary.add("Accept-Encoding")
    encoding = chosen_encoding(request.accept_encodings)
    if encoding is None or not _may_compress(response):
        return response
    length = response.content_length
    if length is not None and length < MIN_SIZE:
        return response
    if _is_file(response):
        _compress_file(response, encoding)
    else:
        data = response.get_data()
        if len(data) < MIN_SIZE:
            return response
        response.set_data(compress(data, encoding, best=False))
        response.headers["Content-Encoding"] = encoding
    return response


def _compress_file(response, encoding: str) -> None:
    etag, weak = response.get_etag()
    key = (etag, encoding)
    kept = current_app.extensions["compressed_files"]
    body = kept.get(key)
    if body is None:
        response.direct_passthrough = False
        body = compress(response.get_data(), encoding, best=True)
        kept.put(key, body)
    else:
        close = getattr(response.response, "close", None)
        if close is not None:
            close()  # the file send_file opened
    response.direct_passthrough = False
    response.set_data(body)
    response.headers["Content-Encoding"] = encoding
    response.headers.pop("Accept-Ranges", None)  # ranges of the compressed body are not offered
    response.set_etag(f"{etag}-{ETAG_SUFFIX[encoding]}", weak=weak)
    if response.status_code == 200:
        response.make_conditional(request)  # If-None-Match naming this encoding's ETag -> 304


def init_app(app: Flask) -> None:
    # Behind nginx, the client's address and scheme come from X-Forwarded-For/-Proto: trust as
    # many proxies as CHECKLIST_PROXY_HOPS says (login throttling counts per address).
    hops = int(app.config["PROXY_HOPS"])
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.extensions["compressed_files"] = CompressedFiles()
    app.after_request(compress_response)


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity: a container's or systemd's
    CPUAffinity=, as `nproc` counts them)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def server_options(host: str, port: int, workers: int, threads: int) -> dict:
    """gunicorn's settings for `checklist serve` (and the load benchmark's baseline)."""
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "keepalive": 5,
        # a download of the whole database may take minutes at province scale: a gthread worker
        # tells the arbiter it is alive from its own loop, whatever its threads are doing
        "timeout": 120,
        "graceful_timeout": 20,
        # proxies are the app's business (CHECKLIST_PROXY_HOPS, ProxyFix): gunicorn trusts none
        "forwarded_allow_ips": "",
        "proc_name": "checklist",
        "accesslog": None,
        "errorlog": "-",
    }


def freeze_startup_objects(_worker=None) -> None:
    """Move what exists once the app is made (modules, classes, routes, the app) out of the
    garbage collector's reach: it lives as long as the process. Otherwise every full collection,
    set off by the objects a busy worker makes, walks those ~80,000 objects again, holding the
    GIL for tens of milliseconds while every thread of the worker waits."""
    gc.collect()
    gc.freeze()


def run_server(app_factory: Callable[[], Flask], host: str, port: int, workers: int, threads: int) -> None:
    """Serve `app_factory()`, made afresh in each worker process, until stopped."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            for key, value in server_options(host, port, workers, threads).items():
                self.cfg.set(key, value)
            if "control_socket_disable" in self.cfg.settings:  # gunicorn 25+: no socket in $HOME
                self.cfg.set("control_socket_disable", True)
            self.cfg.set("post_worker_init", freeze_startup_objects)  # in the worker, app made

        def load(self):
            return app_factory()

    Server().run()
