"""One contact's way through the service, as services over storage:

:mod:`.intake` (first words → triage → a queued contact or 112 advice) →
:mod:`.waiting` (waiting rooms, positions, live queue pushes) →
:mod:`.handling` (pick, messages, transfer, requeue, close).

The decisions themselves are pure and live in :mod:`chatserver.core`.
"""
