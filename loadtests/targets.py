"""What every scenario drives: a *target* server (the service or a baseline).

A target hands out connected, greeted endpoints; scenarios only send and read
frames, so one scenario body measures the service and both baselines alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from websockets.asyncio.client import ClientConnection

from loadtests.http_client import HttpConnection
from loadtests.servers import ServerProcess

INTAKE_TEXTS = (
    "Jag har haft feber och ont i halsen i tre dagar.",
    "Utslag på armarna sedan i går, kliar mycket.",
    "I have had a dry cough for two weeks and feel tired.",
    "Ont i ena örat sedan helgen, ingen feber.",
    "Behöver förnya recept på blodtrycksmedicin.",
    "My child has had diarrhoea since yesterday but drinks well.",
    "Sveda när jag kissar sedan två dagar.",
    "Ryggont efter flytt, värre på morgonen.",
)


def intake_body(unit_id: str, n: int) -> dict[str, object]:
    """A valid, non-emergency intake; texts vary so triage does real work."""
    return {
        "unit_id": unit_id,
        "lang": "sv" if n % 3 else "en",
        "age": 20 + n % 60,
        "name": f"Patient {n}",
        "text": INTAKE_TEXTS[n % len(INTAKE_TEXTS)],
        "would_otherwise": ("physical_visit", "phone", "video", "self_care", "unknown")[n % 5],
        "acknowledge_emergency": False,
    }


@dataclass(slots=True)
class Ticket:
    """A waiting patient's credential (``patient_token``) and contact."""

    token: str
    contact_id: str


@dataclass(slots=True)
class Endpoint:
    """One side of a conversation: a greeted WebSocket and the contact it talks in."""

    ws: ClientConnection
    contact_id: str
    side: str  # patient | staff

    def message(self, client_id: str, body: str) -> dict[str, str]:
        frame = {"type": "message", "client_id": client_id, "body": body}
        if self.side == "staff":
            frame["contact_id"] = self.contact_id
        return frame


class Target(Protocol):
    name: str
    server: ServerProcess

    async def tickets(self, n: int) -> list[Ticket]:
        """``n`` patients waiting in the queue (intake for the service)."""

    async def connect_patient(self, ticket: Ticket) -> ClientConnection:
        """Open ``/ws/patient``, send hello, return after ``welcome``."""

    async def pairs(self, n: int) -> list[tuple[Endpoint, Endpoint]]:
        """``n`` patient–staff conversations, both sides connected and greeted."""

    async def watchers(self, n: int) -> list[ClientConnection]:
        """``n`` staff dashboards receiving ``queues`` pushes."""

    async def arrive(self, n: int) -> None:
        """One patient joins the queue (event ``n`` of the run)."""

    async def leave(self, n: int) -> None:
        """One patient leaves the queue."""

    async def intake(self, http: HttpConnection, n: int) -> int:
        """One ``POST /api/contacts``; returns the HTTP status."""

    def http(self) -> HttpConnection: ...

    async def aclose(self) -> None: ...
