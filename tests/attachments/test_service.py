"""The decode bound: at most ``decode_workers`` decodes at once, a bounded queue, then busy."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from chatserver.attachments import service as service_module
from chatserver.attachments.image import Photo
from chatserver.attachments.service import WAITING_PER_WORKER, AttachmentService
from chatserver.errors import ServiceUnavailable


async def test_decodes_bounded_and_overflow_is_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    """One worker: one decode runs at a time, 8 may be in flight, the 9th is 503 busy."""
    release = threading.Event()
    running = 0
    most = 0
    lock = threading.Lock()

    def slow(data: bytes, kind: str) -> Photo:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        release.wait(10)
        with lock:
            running -= 1
        return Photo(data, "image/jpeg", 1, 1, "0" * 64, b"", "image/jpeg")

    monkeypatch.setattr(service_module, "reencode", slow)
    svc = AttachmentService(None, None, time.time, 1)  # type: ignore[arg-type]
    tasks = [asyncio.create_task(svc.decode(b"x", "image/jpeg")) for _ in range(WAITING_PER_WORKER)]
    await asyncio.sleep(0.2)
    with pytest.raises(ServiceUnavailable) as err:
        await svc.decode(b"y", "image/jpeg")
    assert (err.value.code, err.value.status, err.value.extra["retry_after_s"]) == ("busy", 503, 2)
    release.set()
    done = await asyncio.gather(*tasks)
    assert [p.data for p in done] == [b"x"] * WAITING_PER_WORKER
    assert most == 1
    # The queue has drained: decoding is accepted again.
    assert (await svc.decode(b"z", "image/jpeg")).data == b"z"
