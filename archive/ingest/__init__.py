"""Readers of every format the archive takes in: plain text, Markdown, saved pages, JSON, ninjs,
partner feeds; and the rules that read an article's parts (extraction, page furniture,
bylines, origin, language, which files a folder holds). Each returns a story's JSON shape.

May import `archive.story`, `archive.lexicon` and `archive.errors`; runs no SQL and never
imports `archive.db`: what it reads is written by `archive.reading` through the one gate.
"""

from archive.ingest.formats import SUFFIXES, files_under, read_file, stories_from

__all__ = ["SUFFIXES", "files_under", "read_file", "stories_from"]
