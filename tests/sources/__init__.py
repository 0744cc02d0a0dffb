"""Tests of service/sources/: partner feeds and agency items polled from servers on 127.0.0.1, the
guard, WebSub.
"""
