"""MkDocs hook: a thin shell over plain functions that turn data into Markdown.

- on_files adds the pages generated from ``schemas/`` (checklist, pledge, data
  dictionary) and reads the directive registry's front matter;
- on_page_markdown fills in the registry's index table and each directive's
  header, and puts the app's base URL into links that point into the app.

No Flask here: the site builds without the app.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

# MkDocs loads a hook by file path; the repo root makes the package importable.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from checklist_app.site import directives, pages as site_pages  # noqa: E402

DIRECTIVES_DIR = "directives/"
REGISTRY_INDEX = "directives/index.md"
REGISTRY_MARKER = "<!-- directive-registry -->"
APP_URL = re.compile(r"\{\{\s*app_url\s*\}\}")

_registry: dict[str, directives.Directive] = {}


def app_base_url(environ=os.environ) -> str:
    """CHECKLIST_BASE_URL without a trailing slash; empty means the site's own host."""
    return environ.get("CHECKLIST_BASE_URL", "").strip().rstrip("/")


def substitute_app_url(markdown: str, base_url: str) -> str:
    """Replace each ``{{ app_url }}`` with the app's base URL."""
    return APP_URL.sub(lambda _: base_url.rstrip("/"), markdown)


def on_files(files, config):
    for src_uri, markdown in site_pages.generated_pages().items():
        if files.get_file_from_path(src_uri) is not None:
            raise PluginError(f"{src_uri} is generated from schemas/; remove it from {config.docs_dir}")
        files.append(File.generated(config, src_uri, content=markdown))

    _registry.clear()
    for file in files.documentation_pages():
        if file.src_uri.startswith(DIRECTIVES_DIR) and file.src_uri != REGISTRY_INDEX:
            try:
                _registry[file.src_uri] = directives.parse_directive(file.src_uri, file.content_string)
            except directives.DirectiveError as error:
                raise PluginError(str(error)) from error
    return files


def on_page_markdown(markdown, page, config, files):
    markdown = substitute_app_url(markdown, app_base_url())
    src_uri = page.file.src_uri
    if src_uri == REGISTRY_INDEX:
        if REGISTRY_MARKER not in markdown:
            raise PluginError(f"{REGISTRY_INDEX} must hold the marker {REGISTRY_MARKER}")
        table = directives.render_index(_registry.values(), REGISTRY_INDEX)
        markdown = markdown.replace(REGISTRY_MARKER, table)
    elif src_uri in _registry:
        directive = _registry[src_uri]
        markdown = directives.render_header(directive) + markdown + "\n\n" + directives.render_duties(directive)
    return markdown
