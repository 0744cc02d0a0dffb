"""Tests of service/api/: the write API, its updates, its server limits and its OpenAPI
description.
"""
