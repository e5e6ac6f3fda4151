"""The red-flag screen at intake and the follow-up questions while waiting. Pure data.

- `screen(age)`: the short yes/no screen a patient answers before the free text
  (contract v1.1, `GET /api/intake/questions`), adapted to the age band: infants
  (< 1 year), children (1–17) and adults. Every question is a 112 criterion: any
  yes makes the level `emergency`, whatever the text says.
- `followups(result, age)`: when the text names a symptom family that can be an
  emergency (chest, breathing, stroke signs, head injury, abdomen in pregnancy,
  bleeding, a child who is unwell, suicidal thoughts) but no emergency rule fired,
  1–3 targeted yes/no questions from the same catalogue; a yes re-triages to
  `emergency` at once.

Question ids are stable snake_case strings: stored with the contact and counted in
statistics, so an id is never reused for another meaning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from triage.advice import MENTAL_HEALTH, cached_advice
from triage.model import Level, Reason, TriageResult

INFANT, CHILD, ADULT = "infant", "child", "adult"
SCREEN_RULE_PREFIX = "SCREEN-"
FOLLOWUP_RULE_PREFIX = "FOLLOWUP-"


@dataclass(frozen=True)
class Question:
    """One yes/no question in both languages, with an optional help line."""

    id: str
    sv: str
    en: str
    help_sv: str = ""
    help_en: str = ""

    def text(self, lang: str) -> str:
        """The question in `lang` (Swedish for anything but English)."""
        return self.en if lang == "en" else self.sv

    def to_dict(self, lang: str) -> dict[str, str]:
        """The wire form of contract v1.1: id, text and, when there is one, help."""
        out = {"id": self.id, "text": self.text(lang)}
        help_text = self.help_en if lang == "en" else self.help_sv
        if help_text:
            out["help"] = help_text
        return out


def _q(qid: str, sv: str, en: str, help_sv: str = "", help_en: str = "") -> Question:
    return Question(qid, sv, en, help_sv, help_en)


# Every question, by id. Texts are short, concrete and in everyday words.
CATALOGUE: dict[str, Question] = {
    q.id: q
    for q in (
        # -- the intake screen, adults
        _q(
            "chest_pain_now",
            "Tryck eller smärta i bröstet just nu, som sitter i eller kommer med kallsvett, "
            "illamående eller andnöd",
            "Pressure or pain in the chest right now that does not pass, or comes with cold "
            "sweat, nausea or breathlessness",
        ),
        _q(
            "stroke_signs",
            "Plötsligt sned i ansiktet, svag eller bortdomnad i en arm eller ett ben, eller svårt "
            "att prata (även om det har gått över)",
            "Suddenly a drooping face, a weak or numb arm or leg, or trouble speaking (even if "
            "it has passed)",
        ),
        _q(
            "severe_breathing",
            "Så svårt att andas att det är svårt att säga hela meningar, eller blå läppar",
            "So hard to breathe that it is hard to say whole sentences, or blue lips",
        ),
        _q(
            "allergic_swelling",
            "Svullen tunga eller hals, eller svårt att andas, efter mat, insektsstick eller "
            "läkemedel",
            "A swollen tongue or throat, or trouble breathing, after food, a sting or a medicine",
        ),
        _q(
            "heavy_bleeding",
            "Kraftig blödning som inte går att stoppa",
            "Heavy bleeding that cannot be stopped",
        ),
        _q(
            "unconscious_or_seizure",
            "Medvetslös, svår att väcka, eller kramper som inte går över",
            "Unconscious, hard to wake, or a seizure that does not stop",
        ),
        _q(
            "worst_headache",
            "Plötslig, extremt svår huvudvärk – den värsta någonsin",
            "A sudden, extremely severe headache – the worst ever",
        ),
        _q(
            "suicide_now",
            "Planer på att ta ditt liv just nu, eller har du redan skadat dig eller tagit för "
            "mycket av något",
            "Plans to end your life right now, or have you already harmed yourself or taken too "
            "much of something",
            "Du kan också ringa Självmordslinjen 90101, dygnet runt.",
            "You can also call Självmordslinjen on 90101, day and night.",
        ),
        # -- the intake screen, children and infants
        _q(
            "child_breathing",
            "Barnet andas mycket ansträngt, drar in huden mellan revbenen, har andningsuppehåll "
            "eller blir blått runt munnen",
            "The child breathes with great effort, the skin pulls in between the ribs, has "
            "pauses in breathing or turns blue around the mouth",
        ),
        _q(
            "child_limp",
            "Barnet är slappt, svårt att väcka, grått eller har kramper som inte går över",
            "The child is floppy, hard to wake, grey, or has a seizure that does not stop",
        ),
        _q(
            "rash_or_stiff_neck",
            "Feber med utslag som inte bleknar när du trycker ett glas mot huden, eller stel nacke",
            "Fever with a rash that does not fade when you press a glass on it, or a stiff neck",
            "Tryck ett dricksglas mot utslagen: syns de fortfarande genom glaset?",
            "Press a drinking glass on the rash: can you still see it through the glass?",
        ),
        _q(
            "poisoning",
            "Har fått i sig läkemedel, kemikalier, svamp eller ett knappcellsbatteri",
            "Has swallowed medicines, chemicals, mushrooms or a button battery",
        ),
        _q(
            "infant_fever_under_3_months",
            "Barnet är yngre än 3 månader och har 38,0 grader eller mer",
            "The baby is under 3 months old and has a temperature of 38.0 °C or more",
        ),
        # -- follow-up questions while waiting (asked per symptom family)
        _q(
            "chest_pain_spreading",
            "Strålar smärtan ut i arm, käke, hals eller rygg, eller är du kallsvettig, blek "
            "eller illamående?",
            "Does the pain spread to an arm, the jaw, neck or back, or are you in a cold sweat, "
            "pale or sick?",
        ),
        _q(
            "chest_pain_15_minutes",
            "Har smärtan eller trycket i bröstet hållit i sig mer än 15 minuter?",
            "Has the chest pain or pressure lasted more than 15 minutes?",
        ),
        _q(
            "breathless_at_rest",
            "Är du så andfådd i vila att det är svårt att prata hela meningar?",
            "Are you so short of breath at rest that it is hard to speak in whole sentences?",
        ),
        _q(
            "breathing_blue_lips",
            "Är läpparna blå eller grå, eller kan du inte ligga ner för att du inte får luft?",
            "Are the lips blue or grey, or can you not lie down because you cannot get air?",
        ),
        _q(
            "stroke_face_arm_speech",
            "Hänger ena mungipan, är en arm eller ett ben svagt, eller är talet sluddrigt – "
            "nu eller nyss?",
            "Is one side of the mouth drooping, an arm or leg weak, or the speech slurred – "
            "now or a moment ago?",
        ),
        _q(
            "head_injury_red_flags",
            "Efter slaget mot huvudet: medvetslös en stund, kräkts flera gånger, förvirrad, "
            "svår att väcka, eller tar blodförtunnande?",
            "After the blow to the head: unconscious for a while, vomited several times, "
            "confused, hard to wake, or on blood thinners?",
        ),
        _q(
            "pregnancy_bleeding_or_faint",
            "Blöder du mycket, har du plötslig svår smärta i magen, ont i axelspetsen eller "
            "känner du dig svimfärdig?",
            "Are you bleeding heavily, do you have sudden severe abdominal pain, pain in the "
            "shoulder tip or do you feel faint?",
        ),
        _q(
            "bleeding_not_stopping",
            "Fortsätter blödningen trots att du har tryckt hårt i 10 minuter, eller känner du "
            "dig yr och blek?",
            "Does the bleeding continue after 10 minutes of firm pressure, or do you feel dizzy "
            "and pale?",
        ),
        _q(
            "child_unwell_red_flags",
            "Är barnet slappt, svårt att väcka, ovanligt blekt eller grått, eller andas det "
            "mycket ansträngt?",
            "Is the child floppy, hard to wake, unusually pale or grey, or breathing with great "
            "effort?",
        ),
        _q(
            "suicide_plan_or_means",
            "Har du planer på hur du skulle ta ditt liv, har du det du skulle använda nära dig, "
            "eller har du redan skadat dig?",
            "Do you have a plan for how you would end your life, do you have the means near "
            "you, or have you already harmed yourself?",
            "Självmordslinjen 90101 svarar dygnet runt.",
            "Självmordslinjen (90101) answers day and night.",
        ),
    )
}

_SCREENS: dict[str, tuple[str, ...]] = {
    ADULT: (
        "chest_pain_now",
        "stroke_signs",
        "severe_breathing",
        "allergic_swelling",
        "heavy_bleeding",
        "unconscious_or_seizure",
        "worst_headache",
        "suicide_now",
    ),
    CHILD: (
        "child_breathing",
        "child_limp",
        "rash_or_stiff_neck",
        "allergic_swelling",
        "poisoning",
        "heavy_bleeding",
        "suicide_now",
    ),
    INFANT: (
        "infant_fever_under_3_months",
        "child_breathing",
        "child_limp",
        "rash_or_stiff_neck",
        "poisoning",
    ),
}
# Children this young are not asked about their own suicidal plans.
_SUICIDE_SCREEN_FROM_AGE = 10
_CHILD_FROM, _ADULT_FROM = 1, 18

SCREEN_IDS: frozenset[str] = frozenset(qid for ids in _SCREENS.values() for qid in ids)


def band(age: int) -> str:
    """infant (< 1 year), child (1–17) or adult."""
    if age < _CHILD_FROM:
        return INFANT
    return CHILD if age < _ADULT_FROM else ADULT


def screen(age: int) -> list[Question]:
    """The intake screen for a person of `age` years."""
    ids = _SCREENS[band(age)]
    if age < _SUICIDE_SCREEN_FROM_AGE:
        ids = tuple(qid for qid in ids if qid != "suicide_now")
    return [CATALOGUE[qid] for qid in ids]


def unknown_ids(answers: Mapping[str, object]) -> list[str]:
    """Answer ids that are not questions of the catalogue (a 422 at intake)."""
    return sorted(qid for qid in answers if qid not in CATALOGUE)


def yes_answers(answers: Mapping[str, object]) -> list[str]:
    """The ids answered yes, in catalogue order."""
    return [qid for qid in CATALOGUE if answers.get(qid) is True]


def answered_yes(
    result: TriageResult, answers: Mapping[str, object], lang: str, *, prefix: str
) -> TriageResult:
    """`result` raised to emergency when any answer is yes, each yes named in the reasons."""
    yes = yes_answers(answers)
    if not yes:
        return result
    reasons = tuple(
        Reason(f"{prefix}{qid}", Level.EMERGENCY, (CATALOGUE[qid].text(lang),), question=qid)
        for qid in yes
    )
    tags = set(result.tags)
    if any(qid.startswith("suicide") for qid in yes):
        tags.add(MENTAL_HEALTH)
    return TriageResult(
        level=Level.EMERGENCY,
        tags=frozenset(tags),
        reasons=(*reasons, *result.reasons),
        advice=cached_advice(
            Level.EMERGENCY,
            result.advice.lang,
            mental_health=MENTAL_HEALTH in tags,
            outside_hours=False,
        ),
        ruleset_version=result.ruleset_version,
    )


# Follow-up families: a rule id prefix or a tag that names the family, and its questions.
_FAMILY_RULES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("U06-", "U07-", "E01"), ("chest_pain_spreading", "chest_pain_15_minutes")),
    (("U13-", "U11-", "S23-", "E03", "U14-"), ("breathless_at_rest", "breathing_blue_lips")),
    (("U29-", "S19-", "E02", "U36-"), ("stroke_face_arm_speech",)),
    (("U09-", "S18-"), ("head_injury_red_flags",)),
    (("U26-", "N12-"), ("pregnancy_bleeding_or_faint",)),
    (("U23-", "U21-", "U17-"), ("bleeding_not_stopping",)),
    (("U19-", "U20-"), ("suicide_plan_or_means",)),
)
_FAMILY_TAGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cardiac", ("chest_pain_spreading", "chest_pain_15_minutes")),
    ("respiratory", ("breathless_at_rest", "breathing_blue_lips")),
)
MAX_FOLLOWUPS = 3
_CHILD_UNWELL_TAGS = frozenset({"infection", "respiratory", "gastro", "neuro"})


def followups(result: TriageResult, age: int) -> list[Question]:
    """1–3 questions for a result that names a family that can be an emergency; else none."""
    if result.level is Level.EMERGENCY:
        return []
    chosen: list[str] = []
    fired = [reason.rule_id for reason in result.reasons]
    for prefixes, ids in _FAMILY_RULES:
        if any(rule_id.startswith(prefixes) for rule_id in fired):
            chosen.extend(ids)
    for tag, ids in _FAMILY_TAGS:
        if tag in result.tags:
            chosen.extend(ids)
    if age < _ADULT_FROM and result.tags & _CHILD_UNWELL_TAGS:
        chosen.insert(0, "child_unwell_red_flags")
    if not chosen and any(r.model is not None for r in result.reasons):
        # Raised by the safety net without a named family: ask the intake screen again.
        chosen.extend(q.id for q in screen(age))
    unique = list(dict.fromkeys(chosen))
    return [CATALOGUE[qid] for qid in unique[:MAX_FOLLOWUPS]]
