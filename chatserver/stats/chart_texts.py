"""Chart titles and category labels, Swedish first, English second (``lang``)."""

from __future__ import annotations

__all__ = ["LANGS", "label", "title"]

LANGS = ("sv", "en")

_TITLES = {
    "chat-share": ("Chattandel per vecka", "Chat share per week"),
    "shifted": ("Flyttade från fysiskt besök per vecka", "Shifted from physical visits per week"),
    "outcomes": ("Utfall", "Outcomes"),
    "triage-levels": ("Triagenivå vid inskrivning", "Triage level at intake"),
    "busiest-hours": ("Kontakter per veckodag och timme", "Contacts per weekday and hour"),
}

_LABELS = {
    "resolved_in_chat": ("Löst i chatt", "Resolved in chat"),
    "physical_visit_booked": ("Fysiskt besök bokat", "Physical visit booked"),
    "video_visit_booked": ("Videobesök bokat", "Video visit booked"),
    "phone_callback": ("Återuppringning", "Phone callback"),
    "referred_emergency": ("Hänvisad till akut", "Referred to emergency"),
    "referred_other_unit": ("Hänvisad till annan enhet", "Referred to another unit"),
    "patient_left": ("Patienten lämnade", "Patient left"),
    "no_response": ("Inget svar", "No response"),
    "open": ("Pågående", "Open"),
    "emergency": ("Akut", "Emergency"),
    "urgent": ("Brådskande", "Urgent"),
    "standard": ("Normal", "Standard"),
    "non_urgent": ("Ej brådskande", "Non-urgent"),
    "mon": ("mån", "Mon"),
    "tue": ("tis", "Tue"),
    "wed": ("ons", "Wed"),
    "thu": ("tor", "Thu"),
    "fri": ("fre", "Fri"),
    "sat": ("lör", "Sat"),
    "sun": ("sön", "Sun"),
}


def title(chart: str, lang: str) -> str:
    return _TITLES[chart][LANGS.index(lang)]


def label(key: str, lang: str) -> str:
    pair = _LABELS.get(key)
    return pair[LANGS.index(lang)] if pair else key
