"""What the tests share: paths, a fixed clock, story factories, settings and archives, live servers
(Masthead, nginx, feed sources), and readers of pages, feeds, API answers and docs.  Test
modules import from here, never from each other; tests/conftest.py holds only fixtures.
"""
