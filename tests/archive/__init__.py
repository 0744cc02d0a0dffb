"""Tests of archive/: saving, revisions, the gate, integrity, queries and their plans, a busy or
full disk.
"""
