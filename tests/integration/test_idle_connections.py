"""Idle TCP connections against the server's connection limits (web/serving.py), on waitress as
`python app.py` configures it: the live server takes the same options."""
from __future__ import annotations

import contextlib
import resource
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests

from config import SettingsError, load_settings
from tests.conftest import ROOT, serving_demo_app, wait_for
from tests.http_helpers import sign_in

CHANNEL_TIMEOUT_S = 1  # waitress takes whole seconds


@contextlib.contextmanager
def idle_sockets(url: str, count: int):
    """`count` connections that never send a byte, as a careless or hostile client leaves them."""
    parts = urlsplit(url)
    sockets = [socket.create_connection((parts.hostname, parts.port), timeout=5) for _ in range(count)]
    try:
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def healthz_seconds(url: str, timeout: float) -> float:
    started = time.monotonic()
    try:
        r = requests.get(f"{url}/healthz", timeout=timeout)
    except requests.Timeout:
        pytest.fail(f"/healthz did not answer within {timeout} s")
    assert r.status_code == 200
    return time.monotonic() - started


def accepted(live, count: int) -> bool:
    """Wait (briefly) until the server took `count` connections off the listen queue."""
    return wait_for(lambda: len(live._server.active_channels) >= count, timeout=3)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with serving_demo_app(tmp_path_factory.mktemp("idle"), demo_leads=30) as (live, _app):
        yield live


def test_three_hundred_idle_connections_do_not_keep_healthz_waiting(served):
    healthz_seconds(served.url, timeout=10)  # warm: the first request opens the stores
    with idle_sockets(served.url, 300):
        accepted(served, 300)
        assert healthz_seconds(served.url, timeout=1.0) < 1.0


def test_a_huge_declared_body_is_refused_before_it_is_read(served):
    """Waitress would otherwise spool up to 1 GB per connection to disk before Flask's 1 MiB limit
    could answer 413."""
    parts = urlsplit(served.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(b"POST /api/events HTTP/1.1\r\nHost: cockpit\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 104857600\r\n\r\n")
        try:
            answer = sock.recv(200)
        except TimeoutError:
            pytest.fail("the server waited for a 100 MB body instead of refusing it")
    assert answer.startswith(b"HTTP/1.1 413")


@pytest.fixture(scope="module")
def short_timeout(tmp_path_factory):
    """A small connection limit and a one-second channel timeout, so reaping shows within seconds."""
    with serving_demo_app(tmp_path_factory.mktemp("idle-limit"), demo_leads=30, web_connection_limit=40,
                          web_channel_timeout_s=CHANNEL_TIMEOUT_S, sse_max_streams=2,
                          sse_heartbeat_s=1.5) as (live, _app):
        yield live


def test_beyond_the_limit_idle_connections_are_closed_and_healthz_answers_soon(short_timeout):
    healthz_seconds(short_timeout.url, timeout=10)
    with idle_sockets(short_timeout.url, 60) as sockets:
        # the limit is reached: new clients wait until the idle ones are reaped
        # (timeout plus one cleanup interval, plus the 1 s select/poll tick)
        assert healthz_seconds(short_timeout.url, timeout=4 * CHANNEL_TIMEOUT_S + 2) < 4 * CHANNEL_TIMEOUT_S + 2
        closed_by_server = sum(1 for sock in sockets if _closed_by_peer(sock))
        assert closed_by_server >= 20, f"only {closed_by_server} of 60 idle connections were closed"


def _closed_by_peer(sock: socket.socket) -> bool:
    sock.settimeout(0.05)
    try:
        return sock.recv(1) == b""
    except (TimeoutError, socket.timeout):
        return False
    except ConnectionResetError:
        return True


def test_an_open_stream_outlives_the_channel_timeout(short_timeout):
    """Waitress reaps only channels with no request running, so a stream is never cut for being
    quiet; here its heartbeat (1.5 s) is even longer than the channel timeout (1 s)."""
    response = sign_in(short_timeout.url, "sales").get(f"{short_timeout.url}/stream/cockpit", stream=True, timeout=10)
    assert response.status_code == 200
    lines: list[tuple[float, str]] = []
    started = time.monotonic()

    def read():
        try:
            for line in response.iter_lines(decode_unicode=True):
                lines.append((time.monotonic() - started, line))
        except (requests.RequestException, AttributeError, ValueError):
            pass  # closed by the test
        lines.append((time.monotonic() - started, "<closed>"))

    threading.Thread(target=read, daemon=True).start()
    time.sleep(5 * CHANNEL_TIMEOUT_S)
    response.close()
    heard = [line for _at, line in lines]
    assert "<closed>" not in [line for at, line in lines if at < 5 * CHANNEL_TIMEOUT_S - 0.1], heard
    assert any(line.startswith("data: ") for line in heard), heard
    assert sum(1 for at, line in lines if line.startswith(":") and at > 3 * CHANNEL_TIMEOUT_S) >= 1, lines


@pytest.mark.parametrize("env,message", [
    ({"WEB_CONNECTION_LIMIT": "lots"}, "WEB_CONNECTION_LIMIT='lots' is not a whole number"),
    ({"WEB_CONNECTION_LIMIT": "150"}, "WEB_CONNECTION_LIMIT=150 must exceed SSE_MAX_STREAMS (100) by 100"),
    ({"WEB_CHANNEL_TIMEOUT_S": "0"}, "WEB_CHANNEL_TIMEOUT_S=0 is outside 1..3600"),
])
def test_bad_serving_settings_stop_start_up(tmp_path, env, message):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(environ={"COCKPIT_DEMO": "1", **env}, overrides={"var_dir": tmp_path})


def test_the_connection_limit_follows_a_large_stream_cap(tmp_path):
    settings = load_settings(environ={"COCKPIT_DEMO": "1", "SSE_MAX_STREAMS": "5000"}, overrides={"var_dir": tmp_path})
    assert settings.web_connection_limit >= 5100


FD_CHECK = """
import resource, sys
sys.path.insert(0, sys.argv[1])
resource.setrlimit(resource.RLIMIT_NOFILE, (512, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
from config import load_settings
from web.serving import serve_options
options = serve_options(load_settings(environ={"COCKPIT_DEMO": "1"}, overrides={"var_dir": sys.argv[2]}))
print(options["connection_limit"], resource.getrlimit(resource.RLIMIT_NOFILE)[0])
"""


def test_a_low_open_file_limit_is_raised_to_fit_the_connection_limit(tmp_path):
    """A machine whose shell starts processes with 512 open files: serving raises the soft limit
    (up to the hard one) instead of failing accept() at the 500th connection."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    done = subprocess.run([sys.executable, "-c", FD_CHECK, str(ROOT), str(tmp_path)], capture_output=True,
                          text=True, timeout=60, check=True)
    limit, soft = map(int, done.stdout.split())
    if hard == resource.RLIM_INFINITY or hard >= 1000 + 256:
        assert (limit, soft >= 1000 + 256) == (1000, True)
    else:  # the hard limit is the ceiling: fewer connections, all of them servable
        assert limit == hard - 256 and soft == hard
