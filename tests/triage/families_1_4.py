"""Wordings and look-alikes of the emergency families added in ruleset 1.4 (issue 13).

Written from each family's criterion and public source (1177, NHS), as a patient or a
relative would write; merged into the per-rule synonym sweep of
test_emergency_synonyms.py. Each look-alike names the rule it must not trip.
"""

from __future__ import annotations

SWEEP_1_4: dict[str, list[tuple[str, str, int]]] = {
    "E21-aortic-dissection": [
        ("plötslig rivande smärta rakt genom bröstet ut i ryggen", "sv", 64),
        ("det känns som att nåt slits sönder mellan skulderbladen", "sv", 58),
        ("sudden tearing pain in my back between the shoulder blades", "en", 70),
        ("ripping pain through my chest into my back", "en", 61),
        ("läkaren mätte olika blodtryck i armarna och nu ont i bröstet", "sv", 66),
    ],
    "E22-hypoglycaemia-severe": [
        ("pappa har diabetes och är helt förvirrad och svettig", "sv", 78),
        ("lågt blodsocker och hon går knappt att väcka", "sv", 70),
        ("my husband is diabetic and he's confused and not making sense", "en", 66),
        ("blood sugar crashed and he is really drowsy, can't keep him awake", "en", 45),
        ("insulinkänning, han är medvetslös", "sv", 30),
    ],
    "E23-diabetic-ketoacidosis": [
        ("har typ 1, högt blodsocker hela dagen och kräks nu", "sv", 24),
        ("ketoner 3,2 och jag spyr", "sv", 19),
        ("type 1 diabetic, blood sugar through the roof and throwing up", "en", 22),
        ("on insulin, vomiting and breath smells like nail polish", "en", 17),
    ],
    "E23b-new-diabetes-child-unwell": [
        ("sonen dricker hela tiden o kissar jättemycket, nu kräks han", "sv", 8),
        ("dottern är så törstig senaste veckorna och nu väldigt dåsig", "sv", 11),
        ("she is drinking all the time and now vomiting", "en", 6),
        ("so thirsty lately, peeing constantly and today throwing up", "en", 13),
    ],
    "E24-severe-burn": [
        ("brände mig i ansiktet när grillen flammade upp", "sv", 40),
        ("fick avloppsrens på handen, det fräter", "sv", 35),
        ("burned his face in a kitchen fire and his voice is hoarse", "en", 50),
        ("acid splashed on my arm at work", "en", 33),
        ("pappa har andats in rök från branden och hostar sot", "sv", 70),
        ("fick ström från en elkabel, brännskada på handen", "sv", 28),
    ],
    "E25-testicular-torsion": [
        ("plötsligt skitont i ena testikeln och han kräks", "sv", 14),
        ("sonen vaknade med jätteont i pungen, mår illa", "sv", 12),
        ("sudden pain in my left testicle and I threw up", "en", 17),
        ("think he has a twisted testicle, sudden bad pain", "en", 15),
    ],
    "E26-ectopic-pregnancy": [
        ("positivt test förra veckan, nu ont i magen och svimfärdig", "sv", 29),
        ("mensen är sen, ont på ena sidan i magen och svimmade nyss", "sv", 31),
        ("missed my period, stomach pain and I feel faint", "en", 26),
        ("6 weeks pregnant, pain low in my tummy and shoulder tip pain", "en", 33),
    ],
    "E27-acute-vertigo-cannot-stand": [
        ("allt snurrar plötsligt och jag kan inte stå", "sv", 66),
        ("mamma är så yr att hon inte kan gå", "sv", 79),
        ("so dizzy I can't stand up", "en", 58),
        ("the room is spinning and he keeps falling over", "en", 72),
    ],
    "E28-anaphylaxis-after-drug-or-injection": [
        ("fick penicillin i morse och nu svårt att andas", "sv", 40),
        ("efter vaccinet piper det när jag andas", "sv", 30),
        ("started antibiotics today and now I'm wheezing", "en", 35),
        ("had an injection at the clinic and my throat is swelling", "en", 44),
    ],
    "E29-someone-elses-farewell": [
        ("min dotter skickade ett hejdå-sms och svarar inte", "sv", 17),
        ("kompisen står på bron och hotar att hoppa", "sv", 22),
        ("my friend posted a goodbye message and isn't answering", "en", 24),
        ("my brother is threatening to kill himself right now", "en", 30),
        ("hittade ett avskedsbrev från min man", "sv", 50),
    ],
    "E30-acute-limb-ischaemia": [
        ("plötsligt iskall och vit fot som gör jätteont", "sv", 75),
        ("vänster ben blev kallt och blekt och är domnat", "sv", 68),
        ("my leg suddenly went ice cold and white, agony", "en", 70),
        ("her hand is cold and blue and she can't move her fingers", "en", 80),
    ],
    "E17b-abdominal-pain-fainting": [
        ("ont i magen och svimmade på toaletten", "sv", 66),
        ("magont och han tuppade av", "sv", 70),
        ("bad stomach pain and then I passed out", "en", 58),
        ("tummy pain and she fainted in the kitchen", "en", 74),
    ],
}

# Look-alikes of the 1.4 families: (text, lang, age, the rule it must not trip).
LOOK_ALIKES_1_4: list[tuple[str, str, int, str]] = [
    ("det river i vaden efter löpningen", "sv", 30, "E21-aortic-dissection"),
    ("tore a muscle in my back lifting boxes", "en", 35, "E21-aortic-dissection"),
    ("har diabetes, vill förnya mitt insulin", "sv", 60, "E22-hypoglycaemia-severe"),
    ("diabetic, no confusion, just want my HbA1c result", "en", 55, "E22-hypoglycaemia-severe"),
    ("typ 1 diabetes, vill boka årskontroll", "sv", 30, "E23-diabetic-ketoacidosis"),
    (
        "diabetes type 1, sugar a bit high this week, no vomiting",
        "en",
        35,
        "E23-diabetic-ketoacidosis",
    ),
    ("brände mig på fingret på spisen, liten blåsa", "sv", 30, "E24-severe-burn"),
    ("got acid reflux after dinner", "en", 45, "E24-severe-burn"),
    ("lite ont i pungen sen en vecka, svullen", "sv", 45, "E25-testicular-torsion"),
    ("gravid vecka 20, vill fråga om vaccin", "sv", 30, "E26-ectopic-pregnancy"),
    ("yr när jag reser mig snabbt, går över", "sv", 40, "E27-acute-vertigo-cannot-stand"),
    (
        "kan inte gå på foten efter stukning, lite yr av värktabletterna",
        "sv",
        25,
        "E27-acute-vertigo-cannot-stand",
    ),
    ("fick vaccin igår, ont i armen", "sv", 40, "E28-anaphylaxis-after-drug-or-injection"),
    ("had a flu jab, mild headache", "en", 60, "E28-anaphylaxis-after-drug-or-injection"),
    ("sa hejdå till mamma på stationen, nu ont i halsen", "sv", 20, "E29-someone-elses-farewell"),
    ("kalla fötter på vintern, alltid haft det", "sv", 40, "E30-acute-limb-ischaemia"),
    ("my hands get cold in winter", "en", 30, "E30-acute-limb-ischaemia"),
    ("mensvärk och blev lite svimfärdig", "sv", 17, "E17b-abdominal-pain-fainting"),
]

# Urgent families added in ruleset 1.4: (text, lang, age, rule that must fire).
URGENT_1_4: list[tuple[str, str, int, str]] = [
    ("bältros i pannan, nu svider ögat", "sv", 70, "U35-shingles-face-eye"),
    ("har fått bältros runt ögat", "sv", 64, "U35-shingles-face-eye"),
    ("shingles on my nose and near my eye", "en", 58, "U35-shingles-face-eye"),
    ("zoster rash on her face", "en", 81, "U35-shingles-face-eye"),
    ("plötsligt snurrar allt och jag kräks", "sv", 50, "U36-acute-vertigo-vomiting"),
    (
        "kraftig yrsel sedan i morse och har spytt två gånger",
        "sv",
        45,
        "U36-acute-vertigo-vomiting",
    ),
    ("sudden vertigo, the room is spinning and I threw up", "en", 39, "U36-acute-vertigo-vomiting"),
    ("severe dizziness and vomiting since this morning", "en", 60, "U36-acute-vertigo-vomiting"),
]
URGENT_LOOK_ALIKES_1_4: list[tuple[str, str, int, str]] = [
    ("bältros på magen, ont men klarar mig", "sv", 60, "U35-shingles-face-eye"),
    ("had shingles on my back last year", "en", 55, "U35-shingles-face-eye"),
    ("lite yr och kräktes en gång av magsjukan", "sv", 30, "U36-acute-vertigo-vomiting"),
    ("a bit dizzy when I stand up, no vomiting", "en", 70, "U36-acute-vertigo-vomiting"),
]
