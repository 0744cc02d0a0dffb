"""Always up: restarts that start at once, and a server that outlives its workers' deaths."""

from __future__ import annotations

import http.client
import socket

import pytest

from service import server as production
from tests.conftest import LiveServer, settings_mapping, write_config


def get(port: int, path: str = "/robots.txt") -> int:
    """The status of one GET on a fresh connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def same_port_server(tmp_path, port: int) -> LiveServer:
    """A LiveServer over tmp_path's archive, on `port` rather than a free one."""
    server = LiveServer(tmp_path, settings_mapping(tmp_path))
    server.port, server.url = port, f"http://127.0.0.1:{port}"
    mapping = settings_mapping(tmp_path)
    mapping["server"] = {"host": "127.0.0.1", "port": port, "workers": 2}
    write_config(server.config, mapping)
    return server


# Restarts -----------------------------------------------------------------------------------


def test_a_restart_starts_at_once_while_a_client_keeps_its_connection_open(tmp_path):
    first = LiveServer(tmp_path, settings_mapping(tmp_path)).start()
    kept = http.client.HTTPConnection("127.0.0.1", first.port, timeout=10)
    try:
        kept.request("GET", "/robots.txt")  # keep-alive: the client never closes it
        kept.getresponse().read()
        first.stop()  # the server's end of `kept` now waits in FIN-WAIT-2
        assert first.process.returncode == 0
        with same_port_server(tmp_path, first.port) as second:
            assert get(second.port) == 200
    finally:
        kept.close()


def test_the_port_check_ignores_connections_a_stopped_server_left_behind():
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = listener.accept()
    accepted.close()  # the server closes first: its end waits in FIN-WAIT-2, as after a stop
    try:
        production.check_port_free("127.0.0.1", port)
    finally:
        client.close()


def test_the_port_check_refuses_a_port_a_server_listens_on_with_reuseport():
    with socket.socket() as listener:
        # As Granian's workers listen: a second server with SO_REUSEPORT would share the port.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(production.PortInUse, match=f"127.0.0.1:{port} is already in use"):
            production.check_port_free("127.0.0.1", port)
