"""MkDocs hook: a thin shell over plain functions that turn data into Markdown.

- on_config names the site after the bureau of the deployment's configuration
  (county.toml), so the masthead says what the app's headers say;
- on_files adds the pages generated from ``schemas/`` (checklist, pledge, data
  dictionary) and reads the directive registry's front matter;
- on_page_markdown fills in the registry's index table and each directive's
  header, and puts the app's base URL into links that point into the app and
  the bureau's and region's names where a page writes {{ bureau_name }} or
  {{ region_name }}.

No Flask here: the site builds without the app.
"""

from __future__ import annotations

import os
import posixpath
import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

# MkDocs loads a hook by file path; the repo root makes the package importable.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from checklist_app import deployment  # noqa: E402
from checklist_app.site import directives, pages as site_pages  # noqa: E402

DIRECTIVES_DIR = "directives/"
REGISTRY_INDEX = "directives/index.md"
REGISTRY_MARKER = "<!-- directive-registry -->"
# Every page names its source once, at its foot; the speech's own page and pages about the
# product's data (not the speech's requirements) do not.
SPEECH_PAGE = "directives/speech.md"
SOURCE_LINE = "依据：[局长在全县教育系统期初工作安排视频会议上的讲话]({link})"
WITHOUT_SOURCE = {SPEECH_PAGE, REGISTRY_INDEX, "data-dictionary.md"}
PLACEHOLDER = re.compile(r"\{\{\s*(app_url|bureau_name|region_name)\s*\}\}")
SITE_NAME = "{bureau}开学工作平台"
SITE_DESCRIPTION = "{bureau}关于疫情防控、网上教学和开学工作的要求，学校开学准备自查申报和教职工疫情防控承诺书。"

_registry: dict[str, directives.Directive] = {}
_names: dict[str, str] = {}


def app_base_url(environ=os.environ) -> str:
    """CHECKLIST_BASE_URL without a trailing slash; empty means the site's own host."""
    return environ.get("CHECKLIST_BASE_URL", "").strip().rstrip("/")


def substitute(markdown: str, values: dict[str, str]) -> str:
    """Replace each ``{{ app_url }}``, ``{{ bureau_name }}`` and ``{{ region_name }}`` with its value."""
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], markdown)


def names(environ=os.environ) -> dict[str, str]:
    """The values of the placeholders: the app's base URL and the names from county.toml."""
    try:
        config = deployment.load(deployment.config_path(environ))
    except deployment.DeploymentError as error:
        raise PluginError(str(error)) from None
    return {"app_url": app_base_url(environ), "bureau_name": config.bureau_name, "region_name": config.region_name}


def on_config(config):
    _names.clear()
    _names.update(names())
    config.site_name = SITE_NAME.format(bureau=_names["bureau_name"])
    config.site_description = SITE_DESCRIPTION.format(bureau=_names["bureau_name"])
    config.copyright = _names["bureau_name"]
    return config


def on_files(files, config):
    for src_uri, markdown in site_pages.generated_pages().items():
        if files.get_file_from_path(src_uri) is not None:
            raise PluginError(f"{src_uri} is generated from schemas/; remove it from {config.docs_dir}")
        files.append(File.generated(config, src_uri, content=markdown))

    _registry.clear()
    for file in files.documentation_pages():
        if file.src_uri.startswith(DIRECTIVES_DIR) and file.src_uri != REGISTRY_INDEX:
            try:
                source = substitute(file.content_string, _names)
                _registry[file.src_uri] = directives.parse_directive(file.src_uri, source)
            except directives.DirectiveError as error:
                raise PluginError(str(error)) from error
    return files


def source_foot(src_uri: str) -> str:
    """The line at a page's foot naming the speech it rests on, linked to the speech's full text."""
    if src_uri in WITHOUT_SOURCE:
        return ""
    link = posixpath.relpath(SPEECH_PAGE, posixpath.dirname(src_uri) or ".")
    return "\n\n---\n\n" + SOURCE_LINE.format(link=link) + "\n"


def on_page_markdown(markdown, page, config, files):
    markdown = substitute(markdown, _names)
    src_uri = page.file.src_uri
    if src_uri == REGISTRY_INDEX:
        if REGISTRY_MARKER not in markdown:
            raise PluginError(f"{REGISTRY_INDEX} must hold the marker {REGISTRY_MARKER}")
        table = directives.render_index(_registry.values(), REGISTRY_INDEX)
        markdown = markdown.replace(REGISTRY_MARKER, table)
    elif src_uri in _registry:
        directive = _registry[src_uri]
        markdown = directives.render_header(directive) + markdown + "\n\n" + directives.render_duties(directive)
    return markdown + source_foot(src_uri)
