"""Sign-in timing: an unknown user against a known user with a wrong password.

    python -m loadtests.login_timing [--rounds 15]

Both answer 401 ``invalid_credentials`` after one argon2 verification (the
unknown user against a dummy hash of the same parameters; the test suite pins
that structurally in tests/security/test_login.py). This measures the wall
time of each through the real app (in-process, SQLite), so an attacker timing
the answers learns nothing about which names exist. Prints the medians and
their ratio (expected 0.9-1.1 on a quiet machine).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient

from chatserver import logs
from chatserver.app import create_app
from chatserver.settings import Settings
from tests.helpers import ORIGIN, seed_directory


def measure(rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="login-timing-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        asyncio.run(seed_directory(settings))
        samples: dict[str, list[float]] = {"unknown user": [], "wrong password": []}
        names = {"unknown user": "nobody-here", "wrong password": "doctor1"}
        app = create_app(settings)
        with TestClient(app, headers={"origin": ORIGIN}) as client:
            state = app.state.chat
            for i in range(rounds):
                for kind, name in names.items():
                    # Neither throttle is measured: reset the per-address
                    # limit and the account's failure count before each try.
                    state.limits.storage.reset()
                    client.portal.call(state.auth.lockout.success, name)  # type: ignore[union-attr]
                    body = {"username": name, "password": f"wrong-{i}"}
                    t0 = time.perf_counter()
                    r = client.post("/api/staff/login", json=body)
                    samples[kind].append(time.perf_counter() - t0)
                    if r.status_code != 401:
                        raise RuntimeError(f"unexpected answer {r.status_code}")
        return {kind: statistics.median(v) * 1000 for kind, v in samples.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    logs.configure("warning")  # one request log line per try would drown the result
    medians = measure(args.rounds)
    for kind, ms in medians.items():
        print(f"{kind}: median {ms:.1f} ms")
    print(f"ratio unknown / wrong: {medians['unknown user'] / medians['wrong password']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
