"""The escalate-only combination of the rules' result and the safety net's score.

The net may raise the level the rules decided, never lower it:
- the emergency head at or over its threshold raises anything below `emergency`
  to `emergency`;
- else the urgent head at or over its threshold raises `standard` or
  `non_urgent` to `urgent`.
A raise adds one reason, `ML-safety-net`, naming the model and version, the
probability and the words that weighed most, and recomputes the advice (with the
suicide line when the mental-health head also fires).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from triage.advice import MENTAL_HEALTH, cached_advice
from triage.engine import MAX_AGE, TriageEngine
from triage.learned.net import Model, Score
from triage.model import Level, Reason, TriageResult

NET_RULE_ID = "ML-safety-net"
_HEAD_LEVEL = (("emergency", Level.EMERGENCY), ("urgent", Level.URGENT))


def escalate(
    result: TriageResult,
    score: Score,
    model: Model,
    *,
    outside_hours: bool = False,
) -> TriageResult:
    """`result`, raised where the net's score says so; never less urgent than `result`."""
    for head, level in _HEAD_LEVEL:
        if level.rank >= result.level.rank:
            break
        if not score.fires(head, model):
            continue
        tags = set(result.tags)
        if score.fires(MENTAL_HEALTH, model):
            tags.add(MENTAL_HEALTH)
        reason = Reason(
            rule_id=NET_RULE_ID,
            level=level,
            matched=score.top_words[head],
            model=model.label,
            probability=round(score.probability[head], 3),
        )
        return replace(
            result,
            level=level,
            tags=frozenset(tags),
            reasons=(*result.reasons, reason),
            advice=cached_advice(
                level,
                result.advice.lang,
                mental_health=MENTAL_HEALTH in tags,
                outside_hours=outside_hours,
            ),
        )
    return result


def assess_with_net(
    engine: TriageEngine,
    net: Model,
    text: str,
    age: int,
    lang: str = "sv",
    answers: Mapping[str, object] | None = None,
) -> TriageResult:
    """The rules, then the net; the net is not consulted when the rules say emergency."""
    result = engine.assess(text, age, lang, answers)
    if result.level is Level.EMERGENCY:
        return result
    score = net.score(str(text), min(max(int(age), 0), MAX_AGE))
    outside_hours = answers is not None and answers.get("outside_hours") is True
    return escalate(result, score, net, outside_hours=outside_hours)
