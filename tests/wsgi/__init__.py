"""Tests of service/wsgi/: the pipeline in front of Flask over real HTTP, caches, limits, logs,
nginx in front.
"""
