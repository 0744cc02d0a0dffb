"""Tests of service/feeds/: feed documents read by real consumers, scopes, rebuilds, archives, the
scheduler.
"""
