"""Settings: config.toml plus MASTHEAD_<SECTION>_<KEY> environment overrides -> typed Settings.

Loaded and validated once, at start-up; nothing here reads configuration at import time.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ENV_PREFIX = "MASTHEAD_"
DEFAULT_CONFIG = Path("config.toml")

log = logging.getLogger("masthead.settings")
# Unknown MASTHEAD_ variables already named in this process: each is named once.
_warned: set[str] = set()


class SettingsError(Exception):
    """A setting is unknown, of the wrong type or invalid; the message names each one."""


@dataclass(frozen=True)
class SiteSettings:
    title: str = "Masthead Demo Gazette"
    description: str = "News, archived with its attribution and rights."
    base_url: str = "http://127.0.0.1:8000"
    timezone: str = "Europe/London"
    language: str = "en"
    rights: str = "© Masthead Demo Gazette. Stories carry their own rights notices."
    rights_holder: str = "Masthead Demo Gazette"

    @property
    def domain(self) -> str:
        """The authority used in tag: URIs (RFC 4151): the base URL's host name."""
        return urlsplit(self.base_url).hostname or "localhost"


@dataclass(frozen=True)
class ArchiveSettings:
    path: str = "var/masthead.db"
    demo: bool = False


@dataclass(frozen=True)
class FeedSettings:
    size: int = 50
    rebuild_minutes: int = 10
    hub_url: str = ""


@dataclass(frozen=True)
class HttpSettings:
    page_max_age: int = 60
    archive_max_age: int = 86400
    rate_limit_per_minute: int = 600


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    threads: int = 4
    access_log: bool = True
    # Addresses or networks of the reverse proxies whose X-Forwarded-For is believed.
    trusted_proxies: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApiSettings:
    write_tokens_env: str = "MASTHEAD_API_WRITE_TOKENS"
    read_tokens_env: str = "MASTHEAD_API_READ_TOKENS"
    # Tokens of the `sources` scope: they may add, pause, resume and remove sources.
    sources_tokens_env: str = "MASTHEAD_API_SOURCES_TOKENS"
    max_body_bytes: int = 1048576


@dataclass(frozen=True)
class SourceSettings:
    # Fetch sources whose address resolves to a private, loopback or link-local address.
    allow_private: bool = False
    # Bounds of the interval between two polls of one source, which adapts to how often it changes.
    min_minutes: int = 5
    max_minutes: int = 720
    # Sources fetched at once.
    concurrency: int = 4
    # Seconds to wait for a connection, and between two reads of an answer.
    timeout_seconds: int = 10
    # Seconds one fetch may take in all (a server that answers a byte a second is cut off).
    fetch_seconds: int = 60
    # Largest answer taken from a source, in bytes (after decompression).
    max_bytes: int = 10485760
    # Most entries taken from one fetch (the newest first).
    max_entries: int = 500


@dataclass(frozen=True)
class Settings:
    site: SiteSettings = field(default_factory=SiteSettings)
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    feeds: FeedSettings = field(default_factory=FeedSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    sources: SourceSettings = field(default_factory=SourceSettings)

    @property
    def archive_path(self) -> Path:
        return Path(self.archive.path)


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read a config file (MASTHEAD_CONFIG, else config.toml) and apply environment overrides.

    Raises SettingsError naming every unknown key, wrong type or invalid value.
    """
    environ = os.environ if environ is None else environ
    path = path or Path(environ.get(f"{ENV_PREFIX}CONFIG", DEFAULT_CONFIG))
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if path != DEFAULT_CONFIG:
            raise SettingsError(f"config file {path} does not exist") from None
        raw = {}
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"config file {path} is not valid TOML: {error}") from None
    settings = settings_from_mapping(raw, environ, source=str(path))
    for message in unknown_variables(settings, environ):
        log.warning("%s", message)
    return settings


def known_variables(settings: Settings) -> list[str]:
    """Every MASTHEAD_ environment variable Masthead reads, for these settings."""
    names = [
        f"{ENV_PREFIX}CONFIG",
        settings.api.write_tokens_env,
        settings.api.read_tokens_env,
        settings.api.sources_tokens_env,
    ]
    for section, section_type in get_type_hints(Settings).items():
        names += [
            f"{ENV_PREFIX}{section}_{key.name}".upper() for key in dataclasses.fields(section_type)
        ]
    return names


def unknown_variables(settings: Settings, environ: Mapping[str, str]) -> list[str]:
    """A line for each MASTHEAD_ variable that names no setting, not yet named in this process.

    Only named, never refused: the environment is shared with other programs, and a variable
    Masthead does not read cannot change what it does. A misspelled setting is still seen at
    once, with the names it is nearest to.
    """
    known = known_variables(settings)
    lines = []
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX) or name in known or name in _warned:
            continue
        _warned.add(name)
        near = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(near)}?" if near else ""
        lines.append(f"environment variable {name} is not a Masthead setting, ignored{hint}")
    return lines


def settings_from_mapping(
    raw: Mapping[str, Any], environ: Mapping[str, str] | None = None, *, source: str = "settings"
) -> Settings:
    """Build Settings from a parsed TOML mapping plus environment overrides."""
    environ = {} if environ is None else environ
    problems: list[str] = []
    sections = {f.name: f for f in dataclasses.fields(Settings)}
    problems += [
        f"{source}: unknown section [{name}] (expected one of: {', '.join(sections)})"
        for name in raw
        if name not in sections
    ]
    built = {}
    for name in sections:
        section_type = get_type_hints(Settings)[name]
        values = raw.get(name, {})
        if not isinstance(values, Mapping):
            problems.append(f"{source}: [{name}] must be a table, not {values!r}")
            values = {}
        built[name] = _build_section(name, section_type, values, environ, source, problems)
    settings = Settings(**built)
    problems += _check_values(settings)
    if problems:
        raise SettingsError("\n".join(problems))
    return settings


def _build_section(name, section_type, values, environ, source, problems):
    hints = get_type_hints(section_type)
    known = {f.name for f in dataclasses.fields(section_type)}
    problems += [
        f"{source}: unknown key [{name}] {key} (known keys: {', '.join(sorted(known))})"
        for key in values
        if key not in known
    ]
    kwargs = {}
    for key in known:
        expected = hints[key]
        env_name = f"{ENV_PREFIX}{name}_{key}".upper()
        if env_name in environ:
            value, where = _from_env(environ[env_name], expected), env_name
        elif key in values:
            value, where = values[key], f"[{name}] {key}"
        else:
            continue
        if not _is_type(value, expected):
            problems.append(
                f"{where} = {value!r} is not {_type_name(expected)} (in {source} or environment)"
            )
            continue
        kwargs[key] = tuple(value) if expected == tuple[str, ...] else value
    return section_type(**kwargs)


def _from_env(text: str, expected: type) -> Any:
    """Convert an environment string to the field's type; leave it a string when it can't be."""
    if expected is bool:
        lowered = text.strip().lower()
        return {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}.get(
            lowered, text
        )
    if expected is int:
        try:
            return int(text)
        except ValueError:
            return text
    if expected == tuple[str, ...]:
        return [item.strip() for item in text.split(",") if item.strip()]
    return text


def _is_type(value: Any, expected: type) -> bool:
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == tuple[str, ...]:
        return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
    return isinstance(value, expected)


def _type_name(expected: type) -> str:
    if expected == tuple[str, ...]:
        return "a list of strings (in the environment: separated by commas)"
    return {int: "an integer", bool: "a boolean", str: "a string"}.get(expected, str(expected))


def _check_values(settings: Settings) -> list[str]:
    problems = []
    base = urlsplit(settings.site.base_url)
    if base.scheme not in ("http", "https") or not base.hostname:
        problems.append(
            f"[site] base_url = {settings.site.base_url!r} is not an absolute http(s) URL"
        )
    hub = urlsplit(settings.feeds.hub_url)
    if settings.feeds.hub_url and (hub.scheme not in ("http", "https") or not hub.hostname):
        problems.append(
            f"[feeds] hub_url = {settings.feeds.hub_url!r} is not an absolute http(s) URL "
            "(leave it empty for no hub)"
        )
    try:
        ZoneInfo(settings.site.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            f"[site] timezone = {settings.site.timezone!r} is not an IANA time zone name"
        )
    positive = {
        "[feeds] size": settings.feeds.size,
        "[feeds] rebuild_minutes": settings.feeds.rebuild_minutes,
        "[server] workers": settings.server.workers,
        "[server] threads": settings.server.threads,
        "[api] max_body_bytes": settings.api.max_body_bytes,
        "[sources] min_minutes": settings.sources.min_minutes,
        "[sources] max_minutes": settings.sources.max_minutes,
        "[sources] concurrency": settings.sources.concurrency,
        "[sources] timeout_seconds": settings.sources.timeout_seconds,
        "[sources] fetch_seconds": settings.sources.fetch_seconds,
        "[sources] max_bytes": settings.sources.max_bytes,
        "[sources] max_entries": settings.sources.max_entries,
    }
    problems += [
        f"{key} = {value!r} must be a positive integer"
        for key, value in positive.items()
        if value <= 0
    ]
    # Zero means something here: no caching, no limit.
    not_negative = {
        "[http] page_max_age": settings.http.page_max_age,
        "[http] archive_max_age": settings.http.archive_max_age,
        "[http] rate_limit_per_minute": settings.http.rate_limit_per_minute,
    }
    problems += [
        f"{key} = {value!r} must be 0 or more" for key, value in not_negative.items() if value < 0
    ]
    if settings.sources.min_minutes > settings.sources.max_minutes:
        problems.append(
            f"[sources] min_minutes = {settings.sources.min_minutes!r} is more than "
            f"max_minutes = {settings.sources.max_minutes!r}"
        )
    if not 1 <= settings.server.port <= 65535:
        problems.append(f"[server] port = {settings.server.port!r} is not a port (1 to 65535)")
    problems += [
        f"[server] trusted_proxies: {entry!r} is not an IP address or network (e.g. 10.0.0.0/8)"
        for entry in settings.server.trusted_proxies
        if not _is_network(entry)
    ]
    return problems


def _is_network(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True
