"""How long a signed-in request takes while the denial-of-service attacks of the hardening
review run against the same Clew (issue 10: "a concurrent signed-in request stays under
100 ms"). Not part of the test suite; tests/test_http_hardening.py asserts the behaviour.

Attacks, each from its own threads, in a loop: an anonymous 70 KB query of 1,900 repeated
selections, the same signed in, a 20 MB body declared (headers only), a 200 KB query text.
Measured: `{ me { username } }` signed in, first alone, then while the attacks run.

    make run   # in another terminal, with CLEW_ADMIN_PASSWORD set
    .venv/bin/python benchmarks/dos_latency.py --url http://127.0.0.1:8000 \\
        --username admin --password "$CLEW_ADMIN_PASSWORD" [--seconds 10] [--attackers 4]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import threading
import time
from urllib.parse import urlsplit

import httpx2 as httpx

LOGIN = (
    "mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { "
    "... on LoginSuccess { token } ... on LoginFailed { message } } }"
)
REPEATED = "{ tables { nodes { " + " ".join(["description"] * 1900) + " } } }"


def sign_in(url: str, username: str, password: str) -> dict[str, str]:
    answer = httpx.post(url, json={"query": LOGIN, "variables": {"u": username, "p": password}})
    login = answer.json()["data"]["login"]
    if "token" not in login:
        raise SystemExit(f"sign-in failed: {login}")
    return {"Authorization": f"Bearer {login['token']}"}


def declared_only(url: str, length: int) -> None:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest("POST", parts.path)
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(length))
        connection.endheaders()
        connection.getresponse().read()
    finally:
        connection.close()


def measure(url: str, headers: dict[str, str], seconds: float) -> list[float]:
    took: list[float] = []
    deadline = time.monotonic() + seconds
    with httpx.Client(headers=headers, timeout=60) as client:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            client.post(url, json={"query": "{ me { username } }"}).raise_for_status()
            took.append((time.perf_counter() - started) * 1000)
            time.sleep(0.02)
    return took


def report(name: str, took: list[float]) -> None:
    ordered = sorted(took)
    p95 = ordered[int(len(ordered) * 0.95) - 1] if len(ordered) >= 20 else ordered[-1]
    print(
        f"{name:<22} n={len(took):<5} median {statistics.median(took):6.1f} ms  "
        f"p95 {p95:6.1f} ms  max {ordered[-1]:6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", required=True)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--attackers", type=int, default=4)
    args = parser.parse_args()
    url = args.url.rstrip("/") + "/graphql"
    headers = sign_in(url, args.username, args.password)

    report("alone", measure(url, headers, args.seconds / 2))

    stop = threading.Event()
    attacks = {"anonymous": 0, "signed in": 0, "declared 20 MB": 0, "200 KB text": 0}
    lock = threading.Lock()

    def attacker() -> None:
        body = json.dumps({"query": REPEATED})
        long_text = json.dumps({"query": "{ __typename }" + " " * 200_000})
        with httpx.Client(timeout=60) as client:
            while not stop.is_set():
                client.post(url, content=body, headers={"Content-Type": "application/json"})
                client.post(
                    url, content=body, headers={**headers, "Content-Type": "application/json"}
                )
                declared_only(url, 20 * 1024**2)
                client.post(
                    url, content=long_text, headers={**headers, "Content-Type": "application/json"}
                )
                with lock:
                    for name in attacks:
                        attacks[name] += 1

    threads = [threading.Thread(target=attacker, daemon=True) for _ in range(args.attackers)]
    for thread in threads:
        thread.start()
    try:
        report("during the attacks", measure(url, headers, args.seconds))
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    print("attack requests sent:", ", ".join(f"{k} {v}" for k, v in attacks.items()))


if __name__ == "__main__":
    main()
