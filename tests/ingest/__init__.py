"""Tests of archive/ingest/: readers of every format, bylines, furniture, limits, imports of real-
shaped articles.
"""
