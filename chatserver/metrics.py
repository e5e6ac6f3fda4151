"""Prometheus metrics, one registry per app (tests build many apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.connections = Gauge(
            "chat_open_connections", "Open WebSocket connections", ["role"], registry=r
        )
        self.waiting = Gauge(
            "chat_waiting_contacts", "Contacts waiting in a queue", ["queue"], registry=r
        )
        self.oldest_wait = Gauge(
            "chat_oldest_wait_seconds", "Wait of the oldest waiting contact", ["queue"], registry=r
        )
        self.messages = Counter(
            "chat_messages_total", "Chat messages stored", ["sender"], registry=r
        )
        self.ack_latency = Histogram(
            "chat_ack_latency_seconds",
            "From receiving a message frame to sending its ack (includes the commit)",
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0),
            registry=r,
        )
        self.errors = Counter(
            "chat_errors_total", "Errors returned to clients", ["code"], registry=r
        )
        self.intakes = Counter(
            "chat_intakes_total", "Intakes by triage level", ["level"], registry=r
        )
        self.escalations = Counter(
            "chat_escalations_total",
            "Contacts that waited past their target",
            ["level"],
            registry=r,
        )
