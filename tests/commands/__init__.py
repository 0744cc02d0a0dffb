"""Tests of service/commands/: the masthead command line, settings, doctor, serve, proxy config,
production.
"""
