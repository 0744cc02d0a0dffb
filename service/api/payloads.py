"""What API requests send: JSON bodies (size, content type, syntax) and query parameters.

Each reader raises a Problem naming what is wrong; nothing here touches the archive.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import IO, Any

from flask import request

from archive.story.models import SLUG_PATTERN, TIME_YEARS, is_in_range
from archive.story.shape import parse_time
from service.wsgi.problems import Problem, field_error

JSON = "application/json"
# Bytes read from the request stream at a time while enforcing the size limit.
READ_CHUNK = 64 * 1024


def read_json(*, max_bytes: int, accept_header: str | None = "Accept-Post") -> Any:
    """The request's JSON body, parsed strictly.

    415 unless the body is application/json in UTF-8; 413 past `max_bytes` (checked on
    Content-Length before reading, and again on what is actually read); 400 when the body is
    empty or not JSON (duplicate keys, NaN and Infinity are not JSON either).
    """
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if request.mimetype != JSON or charset not in ("utf-8", "utf8"):
        sent = request.headers.get("Content-Type") or "no Content-Type"
        raise Problem(
            415,
            f"the body must be {JSON} (UTF-8), not {sent}",
            kind="unsupported-media-type",
            errors=[field_error("Content-Type", f"expected {JSON}", where="header")],
            # RFC 9110 15.5.16: say which media type the method accepts (Accept-Post/-Patch).
            headers={accept_header: JSON} if accept_header else {},
        )
    if request.content_length is not None and request.content_length > max_bytes:
        raise _too_large(max_bytes)
    body = _read_at_most(request.stream, max_bytes + 1)
    if len(body) > max_bytes:
        raise _too_large(max_bytes)
    if not body.strip():
        raise _malformed("the body is empty; send a JSON object")
    try:
        value = json.loads(
            body.decode("utf-8"),
            object_pairs_hook=_without_duplicates,
            parse_constant=_no_constant,
        )
        # JSON escapes can spell lone surrogates (\ud800), which no UTF-8 text can hold.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise _malformed("the body has a lone surrogate escape (\\ud800-\\udfff)") from None
    except UnicodeDecodeError as error:
        raise _malformed(f"the body is not UTF-8 (byte {error.start})") from None
    except RecursionError:
        raise _malformed("the body nests too deeply") from None
    except ValueError as error:
        raise _malformed(f"the body is not JSON: {error}") from None
    return value


def _read_at_most(stream: IO[bytes], limit: int) -> bytes:
    chunks, size = [], 0
    while size < limit:
        chunk = stream.read(min(READ_CHUNK, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _too_large(max_bytes: int) -> Problem:
    return Problem(
        413,
        f"the body is larger than {max_bytes} bytes ([api] max_body_bytes)",
        kind="body-too-large",
    )


def _malformed(detail: str) -> Problem:
    return Problem(400, detail, kind="malformed-json", errors=[field_error("", detail)])


class QueryReader:
    """Reads query parameters, collecting every problem before raising one 400."""

    def __init__(self, known: tuple[str, ...]):
        self.errors: list[dict[str, str]] = [
            field_error(name, f"unknown parameter (known: {', '.join(known)})", where="query")
            for name in request.args
            if name not in known
        ]
        self.errors += [
            field_error(name, "given more than once", where="query")
            for name in known
            if len(request.args.getlist(name)) > 1
        ]

    def choice(self, name: str, choices: tuple[str, ...]) -> str | None:
        value = request.args.get(name)
        if value is not None and value not in choices:
            self._bad(name, f"{value!r} is not one of {', '.join(choices)}")
            return None
        return value

    def slug(self, name: str) -> str | None:
        value = request.args.get(name)
        if value is not None and not SLUG_PATTERN.fullmatch(value):
            self._bad(name, f"{value!r} is not a slug (lower-case letters, digits, hyphens)")
            return None
        return value

    def time(self, name: str) -> datetime | None:
        value = request.args.get(name)
        if value is None:
            return None
        try:
            moment = parse_time(value, name)
        except ValueError as error:
            self._bad(name, str(error))
            return None
        if not is_in_range(moment):
            self._bad(name, f"{value!r} is out of range (years {TIME_YEARS[0]} to {TIME_YEARS[1]})")
            return None
        return moment

    def integer(self, name: str, *, default: int, low: int, high: int) -> int:
        value = request.args.get(name)
        if value is None:
            return default
        if not re.fullmatch(r"[0-9]{1,19}", value) or not low <= int(value) <= high:
            self._bad(name, f"{value!r} is not a whole number from {low} to {high}")
            return default
        return int(value)

    def _bad(self, name: str, detail: str) -> None:
        self.errors.append(field_error(name, detail, where="query"))

    def done(self) -> None:
        """Raise one 400 listing every bad parameter, if any."""
        if self.errors:
            raise Problem(
                400,
                "; ".join(f"{e['field']}: {e['detail']}" for e in self.errors),
                kind="invalid-query",
                title="Bad query parameters",
                errors=self.errors,
            )
