"""Tests of service/site/: story and archive pages, indexes, search, permanence, Memento,
citations, crawlers.
"""
