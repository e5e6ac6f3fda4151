"""Synonym sweep per emergency rule: plausible patient/relative wordings of each key sign.

Written from the rule criteria (not from any case file): each rule gets Swedish and
English wordings as a patient or a relative would write them (colloquial, SMS-style),
and the hard negatives that must stay below emergency sit next to them.
"""

from __future__ import annotations

import pytest

# These pin the rules; the safety net on top is scored in test_safety_net.py and
# test_challenge_sets.py.
from triage.api import assess_rules as assess
from triage.model import Level
from triage.rules import load_ruleset

from .families_1_4 import LOOK_ALIKES_1_4, SWEEP_1_4, URGENT_1_4, URGENT_LOOK_ALIKES_1_4

# rule id -> (text, lang, age): each must fire that rule.
SWEEP: dict[str, list[tuple[str, str, int]]] = {
    "E01-chest-pain-acs": [
        ("det kramar ihop i bröstkorgen o jag svettas kallt", "sv", 60),
        ("det klämmer i bröstet och strålar ut i vänster arm", "sv", 58),
        ("känns som att nån sitter på bröstet, mår illa", "sv", 70),
        ("trycker över bröstet sen en halvtimme", "sv", 66),
        ("som en elefant på bröstet o kallsvettig", "sv", 64),
        ("feels like an elephant on my chest and I'm sweating", "en", 61),
        ("squeezing in my chest going down my left arm", "en", 55),
        ("like a tight band around my chest, feel sick", "en", 59),
        ("someone is sitting on my chest, clammy", "en", 67),
        ("dad says his chest is crushing and he's grey", "en", 72),
    ],
    "E02-stroke-tia": [
        ("ingen kraft i högra armen sen i morse", "sv", 74),
        ("pappa har ingen känsel i vänster ben", "sv", 80),
        ("noll kraft i vänstra handen", "sv", 66),
        ("no strength in my left arm all of a sudden", "en", 70),
        ("mum has no feeling in her right leg", "en", 78),
        ("munnen hänger på ena sidan", "sv", 70),
        ("farmor sluddrar när hon pratar", "sv", 85),
        ("kan inte lyfta vänster arm", "sv", 60),
        ("his face is drooping and speech is slurred", "en", 77),
        ("can't lift my right arm suddenly", "en", 66),
    ],
    "E03-severe-breathing-difficulty": [
        ("får ingen luft", "sv", 40),
        ("jag får inge luft!!", "sv", 30),
        ("kan inte få luft", "sv", 50),
        ("kan knappt få nån luft", "sv", 45),
        ("kan bara säga ett par ord i taget", "sv", 70),
        ("no air", "en", 35),
        ("I can't get any air", "en", 42),
        ("he's not getting any air", "en", 60),
        ("can't say more than a few words", "en", 55),
        ("läpparna är blå o han flämtar", "sv", 4),
        ("he's gasping for air", "en", 70),
        ("her lips are going blue", "en", 2),
    ],
    "E03b-breathing-failure-net": [
        ("luften tar slut", "sv", 60),
        ("kan knappt andas alls", "sv", 30),
        ("hon orkar inte andas", "sv", 85),
        ("andningen stoppar hela tiden", "sv", 70),
        ("can barely breathe", "en", 33),
        ("he's running out of breath and can't get it back", "en", 77),
        ("she is hardly breathing", "en", 80),
    ],
    "E07-unconscious": [
        ("pappa svarar inte när vi ruskar på honom", "sv", 80),
        ("hon svarar inte alls", "sv", 88),
        ("han ligger livlös på golvet", "sv", 50),
        ("she isn't answering when we shout her name", "en", 79),
        ("dad doesn't respond at all", "en", 82),
        ("found him lifeless on the floor", "en", 45),
        ("går inte att väcka", "sv", 70),
        ("vi får inte liv i honom", "sv", 55),
        ("medvetslös", "sv", 30),
        ("she won't wake up", "en", 80),
        ("he's unconscious", "en", 40),
    ],
    "E12-sepsis-signs": [
        ("UVI sen i tisdags och nu är mamma svår att väcka", "sv", 84),
        ("urinvägsinfektion, nu väldigt dåsig och förvirrad", "sv", 79),
        ("blåskatarr och nu jättesovig, går knappt att prata med", "sv", 81),
        ("njurbäckeninflammation och flammig och kall hud", "sv", 52),
        ("lunginflammation, sover hela tiden och andas fort", "sv", 75),
        ("she has a UTI and is really drowsy now", "en", 83),
        ("pyelonephritis and very sleepy", "en", 45),
        ("cellulitis on his leg and now hard to wake", "en", 68),
        ("fever and keeps falling asleep mid sentence", "en", 40),
        ("hög feber o marmorerad hud", "sv", 2),
        ("feber och helt förvirrad", "sv", 80),
        ("kidney infection and now confused", "en", 76),
    ],
    "E01b-severe-chest-pain": [
        ("plötsligt jätteont i bröstet", "sv", 60),
        ("fruktansvärd bröstsmärta", "sv", 55),
        ("extremt ont i bröstet", "sv", 50),
        ("sudden crushing chest pain", "en", 62),
        ("terrible pain in my chest", "en", 58),
        ("excruciating chest pain out of nowhere", "en", 49),
    ],
    "E01c-palpitations-red-flags": [
        ("hjärtat rusar och jag svimmade nyss", "sv", 40),
        ("hjärtklappning o ont i bröstet", "sv", 55),
        ("my heart is racing and I passed out", "en", 35),
        ("palpitations and chest pain", "en", 50),
        ("hjärtat slår jättefort o höll på att svimma", "sv", 45),
        ("pulsen rusar och jag svimmade", "sv", 30),
        ("heart pounding and blacked out for a sec", "en", 28),
    ],
    "E01d-atypical-acs": [
        ("ont i käken och kallsvettig", "sv", 70),
        ("värk mellan skulderbladen o mår illa", "sv", 68),
        ("jaw pain and feel sick and clammy", "en", 66),
        ("mamma har ont i käken o är grå i ansiktet", "sv", 76),
        ("pain between my shoulder blades and sweating a lot", "en", 63),
    ],
    "E04-asthma-not-improving": [
        ("astma, inhalatorn hjälper inte", "sv", 25),
        ("astmaanfall och ventolin hjälper inte", "sv", 30),
        ("asthma attack and the blue inhaler isn't helping", "en", 22),
        ("my asthma is bad and ventolin doesn't help", "en", 34),
        ("astman blir inte bättre av inhalatorn", "sv", 16),
        ("inhaler not working, asthma getting worse", "en", 29),
    ],
    "E05-anaphylaxis-airway": [
        ("tungan svullnar", "sv", 30),
        ("svullen i halsen efter nötter, svårt att svälja", "sv", 20),
        ("my tongue is swelling up", "en", 28),
        ("throat is closing up", "en", 26),
        ("swollen tongue after a bee sting", "en", 40),
        ("halsen snörs ihop efter jordnötter", "sv", 9),
        ("tungan är jättesvullen", "sv", 33),
    ],
    "E05b-anaphylaxis-systemic": [
        ("nässelutslag överallt och andfådd efter räkor", "sv", 35),
        ("allergisk reaktion och piper i bröstet", "sv", 12),
        ("hives all over and wheezing", "en", 20),
        ("allergic reaction and feel faint", "en", 30),
        ("getingstick o nu utslag överallt o svårt att andas", "sv", 44),
    ],
    "E06-heavy-bleeding": [
        ("blodet sprutar ur såret", "sv", 40),
        ("blöder jättemycket och det slutar inte", "sv", 35),
        ("blödningen går inte att stoppa", "sv", 60),
        ("blood is spurting out", "en", 45),
        ("the bleeding won't stop", "en", 50),
        ("blood pouring out of the cut", "en", 33),
    ],
    "E06c-gi-bleed-shock": [
        ("kräks blod och är yr", "sv", 60),
        ("svart bajs och svimmade", "sv", 70),
        ("vomiting blood and feel faint", "en", 55),
        ("black tarry stools and dizzy", "en", 65),
        ("kräktes blod o är alldeles blek", "sv", 58),
        ("throwing up blood and fainted", "en", 61),
    ],
    "E07b-seizure-prolonged-or-first": [
        ("han krampar och det slutar inte", "sv", 30),
        ("kramper i över 5 minuter", "sv", 8),
        ("första gången hon krampar", "sv", 20),
        ("having a fit and it won't stop", "en", 25),
        ("seizure for more than 5 minutes", "en", 40),
        ("bebisen krampar för första gången", "sv", 1),
        ("fitting for over 5 min", "en", 6),
    ],
    "E08-suicide-acute": [
        ("jag har tagit alla mina tabletter", "sv", 25),
        ("har skrivit avskedsbrev", "sv", 30),
        ("i have a rope and i'm going to hang myself", "en", 30),
        ("took all my pills", "en", 19),
        ("ska hänga mig ikväll", "sv", 30),
        ("har svalt en hel burk sömntabletter", "sv", 40),
        ("i'm going to jump off the bridge", "en", 27),
    ],
    "E08b-suicidal-thoughts-imminent": [
        ("vill ta livet av mig i kväll", "sv", 22),
        ("i want to kill myself tonight", "en", 24),
        ("tänker ta mitt liv inatt", "sv", 33),
        ("i want to end my life tonight", "en", 36),
    ],
    "E10-meningitis-stiff-neck": [
        ("feber och stel nacke", "sv", 18),
        ("hög feber och kan inte böja huvudet framåt", "sv", 20),
        ("fever and a stiff neck", "en", 19),
        ("fever and can't put chin to chest", "en", 21),
        ("feber o nackstel", "sv", 16),
        ("high fever and his neck is really stiff", "en", 12),
    ],
    "E10b-fever-nonblanching-rash": [
        ("feber och utslag som inte försvinner när man trycker ett glas", "sv", 3),
        ("fever and a rash that doesn't fade under a glass", "en", 4),
        ("feber o prickar som inte bleknar med glaset", "sv", 2),
        ("fever and purple spots that don't go away when pressed with a glass", "en", 3),
    ],
    "E11-thunderclap-headache": [
        ("värsta huvudvärken i mitt liv", "sv", 45),
        ("plötslig explosiv huvudvärk", "sv", 50),
        ("worst headache of my life", "en", 40),
        ("thunderclap headache", "en", 52),
        ("blinding headache came on suddenly", "en", 38),
        ("huvudvärk som en smäll, värsta nånsin", "sv", 44),
        ("sudden explosive headache", "en", 51),
    ],
    "E13-poisoning": [
        ("barnet har druckit diskmedel", "sv", 2),
        ("han har svalt ett knappcellsbatteri", "sv", 3),
        ("my toddler swallowed a button battery", "en", 2),
        ("she drank bleach", "en", 3),
        ("dottern har ätit mina tabletter", "sv", 3),
        ("he drank some antifreeze", "en", 40),
    ],
    "E13b-overdose-many-tablets": [
        ("har tagit 20 alvedon", "sv", 17),
        ("tog typ 30 tabletter", "sv", 19),
        ("took 20 paracetamol", "en", 18),
        ("tog 15 sömntabletter", "sv", 30),
        ("swallowed 25 ibuprofen", "en", 21),
    ],
    "E14-pulmonary-embolism": [
        ("svullen vad och andfådd", "sv", 45),
        ("swollen calf and short of breath", "en", 50),
        ("blodpropp i benet o nu andfådd", "sv", 55),
        ("dvt and now chest pain", "en", 48),
    ],
    "E15-major-trauma": [
        ("han har blivit knivhuggen", "sv", 25),
        ("föll från taket", "sv", 40),
        ("was hit by a car", "en", 30),
        ("got stabbed", "en", 22),
        ("bilolycka, han är fastklämd", "sv", 45),
        ("fell off a ladder from the roof", "en", 55),
        ("knivskuren i magen", "sv", 20),
    ],
    "E15b-large-burn": [
        ("brännskada över hela armen", "sv", 30),
        ("scalded his whole chest with boiling water", "en", 4),
        ("brände hela benet med kokande vatten", "sv", 6),
        ("burn over his whole back", "en", 35),
    ],
    "E16-pregnancy-heavy-bleeding-or-pain": [
        ("gravid och blöder jättemycket", "sv", 30),
        ("pregnant and bleeding heavily", "en", 29),
        ("gravid i vecka 10 och plötsligt svår magsmärta", "sv", 28),
        ("pregnant and sudden severe stomach pain", "en", 31),
    ],
    "E18-head-injury-red-flags": [
        ("slog huvudet och var medvetslös en stund", "sv", 30),
        ("hit his head and was knocked out", "en", 12),
        ("ramlade och slog huvudet, krampade efteråt", "sv", 10),
        ("fell and hit her head, unconscious for a minute", "en", 80),
    ],
    "E19-epiglottitis": [
        ("ont i halsen och dreglar", "sv", 5),
        ("sore throat and drooling, can't swallow", "en", 40),
        ("hög feber o dreglar, kan inte svälja", "sv", 4),
        ("fever, drooling and noisy breathing", "en", 5),
    ],
    "E06b-nosebleed-anticoagulant": [
        ("näsblod som inte slutar, tar waran", "sv", 78),
        ("nosebleed that won't stop and I'm on warfarin", "en", 74),
        ("blöder näsblod sen en timme o slutar inte, äter eliquis", "sv", 81),
        ("nosebleed for an hour that won't stop, on blood thinners", "en", 79),
    ],
    "E08c-psychosis-with-suicidal-thoughts": [
        ("hör röster som säger att jag ska ta livet av mig", "sv", 25),
        ("voices telling me to kill myself", "en", 23),
        ("rösterna säger att jag ska skada mig själv", "sv", 30),
        ("hearing voices and want to kill myself", "en", 27),
    ],
    "E09-infant-fever-under-3-months": [
        ("bebisen är 6 veckor och har 38,2", "sv", 0),
        ("my 5 week old has a fever of 38.4", "en", 0),
        ("2 månader gammal och 38,5 i feber", "sv", 0),
        ("newborn with a temperature of 38", "en", 0),
    ],
    "E14c-sudden-breathlessness-chest-pain": [
        ("plötsligt andfådd o hugger i bröstet när jag andas", "sv", 25),
        ("suddenly short of breath with sharp chest pain when i breathe", "en", 22),
        ("blev plötsligt andfådd och har ont i bröstet", "sv", 35),
        ("suddenly can't catch my breath, chest hurts when breathing in", "en", 24),
    ],
    "E17-abdominal-pain-shock": [
        ("plötsligt extremt ont i magen och svimmade", "sv", 67),
        ("sudden severe abdominal pain and fainted", "en", 72),
        ("plötslig kraftig magsmärta och likblek", "sv", 70),
        ("sudden severe stomach pain and she's grey", "en", 75),
    ],
    "E18b-head-injury-anticoagulant-symptoms": [
        ("slog i huvudet, tar waran och har kräkts", "sv", 82),
        ("hit his head, on warfarin and now drowsy", "en", 79),
        ("ramlade och slog huvudet, äter eliquis, nu förvirrad", "sv", 88),
        ("fell and hit his head, takes apixaban and has been sick twice", "en", 84),
    ],
    "E14b-breathlessness-after-vte-risk": [
        ("opererade knät förra veckan och nu andfådd", "sv", 60),
        ("flög hem från thailand igår, nu tungt att andas", "sv", 45),
        ("on the pill and suddenly breathless", "en", 28),
        ("had hip surgery 2 weeks ago, now short of breath", "en", 70),
    ],
}

SWEEP.update(SWEEP_1_4)

# Hard negatives: wordings that share the words of a net but are not emergencies.
NOT_EMERGENCY: list[tuple[str, str, int]] = [
    ("kan inte andas genom näsan, snuva sen en vecka", "sv", 30),
    ("tappt i näsan, får ingen luft genom näsan på natten", "sv", 25),
    ("can't breathe through my nose, blocked for days", "en", 28),
    ("no trouble breathing, just a rash", "en", 30),
    ("ingen andnöd, bara hosta", "sv", 40),
    ("mamma svarar inte i telefon sen i morse", "sv", 50),
    ("my dad isn't answering his phone", "en", 50),
    ("he doesn't answer my texts", "en", 30),
    ("fick ingen tid på vårdcentralen", "sv", 40),
    ("ont i bröstet när jag trycker på revbenen", "sv", 35),
    ("UVI, svider när jag kissar", "sv", 30),
    ("UTI, burning when I pee", "en", 28),
    ("lite dåsig av allergitabletten", "sv", 30),
    ("my tooth was knocked out playing hockey", "en", 15),
    ("stel i nacken efter träningen, ingen feber", "sv", 30),
    ("svullen läpp efter tandläkaren", "sv", 40),
    ("tog 2 alvedon i morse", "sv", 30),
    ("blödde lite när jag borstade tänderna", "sv", 30),
    ("ont i halsen o feber sen 2 dagar", "sv", 20),
    ("knivskuren i tummen när jag lagade mat", "sv", 30),
    ("hon är lite blek idag", "sv", 30),
    ("fell off my bike, grazed knee", "en", 12),
    ("huvudvärk som kommer o går", "sv", 30),
    ("hjärtat slår fort när jag springer", "sv", 25),
    ("opererade knät för ett år sen, blir andfådd i trappor", "sv", 60),
    ("hör röster ibland men mår okej", "sv", 30),
    ("skadade mig själv i foten när jag sprang", "sv", 20),
    ("kan inte andas djupt för det gör ont i sidan", "sv", 35),
    ("kan inte hålla andan länge", "sv", 30),
    ("can't take a deep breath, it hurts my ribs", "en", 40),
]


def _cases() -> list[tuple[str, str, str, int]]:
    return [(rule, text, lang, age) for rule, rows in SWEEP.items() for text, lang, age in rows]


@pytest.mark.parametrize(("rule", "text", "lang", "age"), _cases())
def test_each_wording_fires_its_emergency_rule(rule: str, text: str, lang: str, age: int) -> None:
    """Every listed wording of a sign reaches emergency through the rule it belongs to."""
    result = assess(text, age, lang)
    assert result.level is Level.EMERGENCY
    assert rule in {reason.rule_id for reason in result.reasons}


def test_every_emergency_rule_has_at_least_four_wordings() -> None:
    """The sweep covers every emergency rule of the built-in ruleset, each with ≥ 4 wordings."""
    ruleset = load_ruleset()
    emergency = {rule.id for rule in ruleset.rules if rule.level is Level.EMERGENCY}
    assert set(SWEEP) == emergency
    assert min(len(rows) for rows in SWEEP.values()) >= 4


@pytest.mark.parametrize(("text", "lang", "age"), NOT_EMERGENCY)
def test_look_alike_wordings_stay_below_emergency(text: str, lang: str, age: int) -> None:
    """Blocked noses, unanswered phones and negated symptoms do not trip the nets."""
    assert assess(text, age, lang).level is not Level.EMERGENCY


@pytest.mark.parametrize(("text", "lang", "age", "rule"), LOOK_ALIKES_1_4)
def test_look_alikes_of_new_families_do_not_trip_their_rule(
    text: str, lang: str, age: int, rule: str
) -> None:
    """Each 1.4 family has look-alikes that must not fire its rule."""
    assert rule not in {reason.rule_id for reason in assess(text, age, lang).reasons}


@pytest.mark.parametrize(("text", "lang", "age", "rule"), URGENT_1_4)
def test_urgent_families_of_1_4_fire(text: str, lang: str, age: int, rule: str) -> None:
    """Shingles near the eye and sudden vertigo with vomiting are same-day."""
    result = assess(text, age, lang)
    assert rule in {reason.rule_id for reason in result.reasons}
    assert result.level.rank <= Level.URGENT.rank


@pytest.mark.parametrize(("text", "lang", "age", "rule"), URGENT_LOOK_ALIKES_1_4)
def test_urgent_look_alikes_of_1_4(text: str, lang: str, age: int, rule: str) -> None:
    assert rule not in {reason.rule_id for reason in assess(text, age, lang).reasons}
