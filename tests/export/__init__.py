"""Tests of service/export/: JSON lines round trips, the static site, WARC files and BagIt
packages.
"""
