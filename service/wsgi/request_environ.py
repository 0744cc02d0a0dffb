"""The request's WSGI environ holds the request, not the server process's environment.

Granian starts every request's environ from a copy of the whole process environment, so API
tokens (MASTHEAD_API_WRITE_TOKENS and the like), paths and anything else the service was
started with would sit in every environ, where an error report or a debugging aid could show
them. Masthead reads its tokens and settings from the process environment and its config,
never from a request's environ, so this layer, the outermost, takes them out again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping

StartResponse = Callable[..., object]
WSGIApp = Callable[[dict, StartResponse], Iterable[bytes]]

# What the server sets from the request itself (PEP 3333, CGI): never the process's to remove.
REQUEST_KEYS = frozenset(
    {
        "REQUEST_METHOD",
        "SCRIPT_NAME",
        "PATH_INFO",
        "QUERY_STRING",
        "CONTENT_TYPE",
        "CONTENT_LENGTH",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "SERVER_SOFTWARE",
        "GATEWAY_INTERFACE",
        "REMOTE_ADDR",
    }
)


class WithoutProcessEnvironment:
    """WSGI middleware removing the process environment's variables from each request."""

    def __init__(self, app: WSGIApp, environment: Mapping[str, str] | None = None):
        self.app = app
        process = dict(os.environ if environment is None else environment)
        self.names = tuple(
            name for name in process if name not in REQUEST_KEYS and not name.startswith("HTTP_")
        )
        # HTTP_* may be a request header too (HTTP_PROXY from "Proxy:"): removed only when it
        # still holds the process's value.
        self.headers = tuple((n, v) for n, v in process.items() if n.startswith("HTTP_"))

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        remove = environ.pop  # a few microseconds for a few dozen variables
        for name in self.names:
            remove(name, None)
        for name, value in self.headers:
            if environ.get(name) == value:
                del environ[name]
        return self.app(environ, start_response)
