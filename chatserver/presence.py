"""Who is connected, and since when they are gone (pure bookkeeping).

Operations use it to act on absence: a waiting patient gone too long is closed
as ``patient_left``; a contact whose staff member is gone too long goes back to
the front of its queue. The clock is passed in, so tests control time.
"""

from __future__ import annotations

from collections.abc import Callable


class Presence:
    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._patients: dict[str, int] = {}
        self._patient_gone_at: dict[str, float] = {}
        self._staff: dict[int, int] = {}
        self._staff_gone_at: dict[int, float] = {}

    def patient_back(self, contact_id: str) -> None:
        self._patients[contact_id] = self._patients.get(contact_id, 0) + 1
        self._patient_gone_at.pop(contact_id, None)

    def patient_gone(self, contact_id: str) -> None:
        n = self._patients.get(contact_id, 0) - 1
        if n > 0:
            self._patients[contact_id] = n
            return
        self._patients.pop(contact_id, None)
        self._patient_gone_at[contact_id] = self.clock()

    def staff_back(self, user_id: int) -> None:
        self._staff[user_id] = self._staff.get(user_id, 0) + 1
        self._staff_gone_at.pop(user_id, None)

    def staff_gone(self, user_id: int) -> None:
        n = self._staff.get(user_id, 0) - 1
        if n > 0:
            self._staff[user_id] = n
            return
        self._staff.pop(user_id, None)
        self._staff_gone_at[user_id] = self.clock()

    def patients_gone_longer_than(self, seconds: float) -> list[str]:
        limit = self.clock() - seconds
        return [cid for cid, at in self._patient_gone_at.items() if at <= limit]

    def staff_gone_longer_than(self, seconds: float) -> list[int]:
        limit = self.clock() - seconds
        return [uid for uid, at in self._staff_gone_at.items() if at <= limit]

    def forget_patient(self, contact_id: str) -> None:
        self._patient_gone_at.pop(contact_id, None)

    def forget_staff(self, user_id: int) -> None:
        self._staff_gone_at.pop(user_id, None)

    def patient_connected(self, contact_id: str) -> bool:
        return contact_id in self._patients
