"""The policy site's build: the MkDocs hook, the pages generated from `schemas/` and the
directive registry. Plain functions the hook calls; tests call them without MkDocs."""
