"""Holds N open cockpit streams from a separate process, so their reader threads do not compete for
the interpreter lock of the server being measured (the bench serves the app in its own process).

`python -m bench.stream_holder URL COOKIES_JSON N`: prints "ready" once every stream answered 200,
reads them until its standard input closes, then exits (which closes them all).
"""
from __future__ import annotations

import json
import os
import sys
import threading

import requests


def _drain(response) -> None:
    try:
        for _ in response.iter_content(chunk_size=None):
            pass
    except (requests.RequestException, AttributeError, ValueError):
        pass  # closed at the end


def main(url: str, cookies: str, count: int) -> int:
    session = requests.Session()
    session.cookies.update(json.loads(cookies))
    responses = []
    for _ in range(count):
        response = session.get(f"{url}/stream/cockpit", stream=True, timeout=60)
        if response.status_code != 200:
            print(f"stream answered {response.status_code}", flush=True)
            return 1
        responses.append(response)
        threading.Thread(target=_drain, args=(response,), daemon=True).start()
    print("ready", flush=True)
    sys.stdin.read()  # until the bench closes our input
    # Closing 200 responses while their readers block in recv() can hang; leaving the process closes
    # every socket at once, and the server sees each close straight away.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
