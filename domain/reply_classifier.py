"""Reply classification: a rule-based reading of a lead's answer, German and English (DESIGN section 3).

Each label has cues (regular expressions with a weight). The label with the highest weight wins; the
confidence says how clear the answer is: one weak cue or cues of several labels (mixed signals) give a
low confidence, and below a configured threshold a person labels the reply instead. A positive cue
preceded closely by a negation ("nicht", "kein", "not", "no") counts as negative. The quoted mail
below the answer (our own footer says "Abmelden") is cut off before reading.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from domain.model import Outcome

POSITIVE, NEUTRAL, NEGATIVE = Outcome.POSITIVE.value, Outcome.NEUTRAL.value, Outcome.NEGATIVE.value
OUT_OF_OFFICE, UNSUBSCRIBE = Outcome.OUT_OF_OFFICE.value, Outcome.UNSUBSCRIBE.value
# Ties go to the label listed first: an unsubscribe must never be missed, an auto-reply is no answer.
PRECEDENCE = (UNSUBSCRIBE, OUT_OF_OFFICE, NEGATIVE, POSITIVE, NEUTRAL)
NO_CUE_CONFIDENCE = 0.3

_U, _O, _A = "(?:ü|ue)", "(?:ö|oe)", "(?:ä|ae)"
CUES: dict[str, tuple[tuple[str, float], ...]] = {
    UNSUBSCRIBE: (
        (r"\babmeld\w*|\bmelden sie (?:mich|uns)\b.{0,40}\bab\b", 3), (r"\baustragen\b|\bausgetragen\b", 3),
        (r"\baus (?:ihrem|dem|diesem) (?:verteiler|newsletter)", 3), (r"\bkeine (?:weiteren )?(?:e-?mails|mails|werbung|nachrichten) mehr\b", 3),
        (rf"\bnicht mehr (?:kontaktieren|anschreiben|anrufen)\b|\bwiderspreche\b", 3), (r"\bl" + _O + r"schen sie (?:meine|unsere) daten", 3),
        (r"\bunsubscribe\b", 3), (r"\bremove (?:me|us|my address|our address)\b", 3), (r"\btake (?:me|us) off\b", 3),
        (r"\bstop (?:emailing|sending|contacting)\b", 3), (r"\bno (?:more|further) (?:e-?mails|messages)\b", 3),
        (r"\bopt(?:-| )?out\b", 3), (r"\bdo(?:n't| not) (?:contact|email|e-mail) (?:me|us)\b", 3),
    ),
    OUT_OF_OFFICE: (
        (r"\babwesenheitsnotiz\b|\bautomatische antwort\b|\bautomatisch generiert", 4), (r"\bau(?:ß|ss)er haus\b", 2),
        (r"\bnicht im b" + _U + r"ro\b|\bim urlaub\b|\babwesend\b|\bin elternzeit\b", 2),
        (r"\bab dem \d{1,2}\.\s?\d{0,2}\.?\s?\w* wieder\b|\bwieder erreichbar\b", 2),
        (r"\bout of (?:the )?office\b|\bauto(?:matic)?[- ]?reply\b|\bautoreply\b", 4),
        (r"\bon (?:vacation|holiday|annual leave|parental leave)\b|\baway from (?:the office|my desk)\b", 2),
        (r"\b(?:i will|i'll) be back\b|\bback in the office\b|\blimited access to (?:my )?e-?mail\b|\breturn(?:ing)? on\b", 2),
        (r"\bin dringenden f" + _A + r"llen\b|\bfor urgent matters\b|\bin urgent cases\b", 1),
    ),
    NEGATIVE: (
        (r"\bkein(?:e|en)? (?:interesse|bedarf)\b|\bnicht interessiert\b", 3), (r"\bzu teuer\b|\bpreislich\b.{0,30}\bnicht\b", 2),
        (r"\bnicht (?:" + _U + r"berzeugt|geschmeckt|gepasst|unser fall)\b|\bhat (?:uns )?nicht geschmeckt\b", 2),
        (r"\bbereits (?:einen|einem) (?:lieferanten|gro(?:ß|ss)h" + _A + r"ndler)|\bbleiben bei unserem\b", 2),
        (r"\bleider (?:nicht|keine?n?|zu)\b|\bnein,? danke\b|\babsage\b|\bpasst (?:leider )?nicht\b", 1.5),
        (r"\bbetrieb (?:wird |ist )?geschlossen\b|\baufgeben\b|\bschlie(?:ß|ss)en (?:unser|das) (?:restaurant|lokal)", 2),
        (r"\bnot interested\b|\bno interest\b|\bno need\b|\bno thanks?\b|\bnot for us\b", 3),
        (r"\btoo expensive\b|\bover (?:our|the) budget\b|\bnot convinced\b|\bdid(?:n't| not) (?:like|convince)\b", 2),
        (r"\balready have a (?:supplier|wholesaler|vendor)\b|\bstick(?:ing)? with\b|\bwe(?:'ll| will) pass\b", 2),
        (r"\bunfortunately\b|\bdecline\b|\bdoes(?:n't| not) (?:fit|suit)\b|\bnot (?:right )?now\b", 1.5),
    ),
    POSITIVE: (
        (r"\binteressiert\b|\binteresse an\b|\binteresse\b", 1.5), (r"\bgerne? bestellen\b|\bm" + _O + r"chten (?:gerne? )?bestellen\b|\bbestellung aufgeben\b", 3),
        (r"\bangebot\b.{0,30}\b(?:schicken|senden|zusenden|zukommen|machen|erstellen)\b|\bschicken sie (?:uns|mir)\b", 2.5),
        (r"\b(?:hat|haben) (?:uns |mir )?(?:sehr |richtig )?(?:gut )?geschmeckt\b|\b" + _U + r"berzeugt\b|\bbegeistert\b", 2),
        (r"\brufen sie (?:mich|uns) (?:gerne )?an\b|\btermin\b|\bzusammenarbeit\b|\blegen wir los\b", 1.5),
        (r"\bsuper\b|\bprima\b|\bklingt gut\b|\bsehr gut\b|\bgerne\b", 1),
        (r"\binterested\b|\bsend (?:us |me )?(?:an? |the |your )?(?:offer|quote|quotation|price list)\b", 2.5),
        (r"\bplace an order\b|\b(?:would|we'd|i'd) like to order\b|\bready to order\b|\blet's go ahead\b|\bsign (?:us )?up\b", 3),
        (r"\b(?:loved|liked|enjoyed) (?:it|them|the)\b|\bconvinced\b|\bimpressed\b|\bdelicious\b", 2),
        (r"\bplease call\b|\bgive (?:me|us) a call\b|\b(?:set up|arrange|schedule) a (?:meeting|call)\b", 1.5),
        (r"\bsounds good\b|\bgreat\b|\bexcellent\b|\bhappy to\b", 1),
    ),
    NEUTRAL: (
        (r"\bnoch nicht (?:getestet|probiert|ausprobiert|dazu gekommen)\b|\bmelde(?:n)? (?:mich|uns) (?:sp" + _A + r"ter|wieder|nochmal)\b", 2),
        (r"\bweitergeleitet\b|\bzust" + _A + r"ndig\b|\bkollegin\b|\bkollegen\b|\bfrage\b|\bn" + _A + r"chste[nr]? (?:woche|monat)\b", 1),
        (r"\bhaven't (?:tried|tested|had a chance)\b|\bnot yet\b|\b(?:will|we'll|i'll) get back\b", 2),
        (r"\bforwarded\b|\bin charge\b|\bcolleague\b|\bquestion\b|\bnext (?:week|month)\b|\blater\b", 1),
    ),
}
_COMPILED = {label: tuple((re.compile(p), w) for p, w in cues) for label, cues in CUES.items()}
NEGATORS = re.compile(r"\b(?:nicht|kein\w*|nie|not|no|never|don't|do not|isn't|aren't|wasn't|weren't)\b")
_QUOTE_START = re.compile(r"^(?:-{2,}\s*(?:original|urspr)|am .{4,80} schrieb|on .{4,80} wrote:|von:\s|from:\s|>)", re.I)


@dataclass(frozen=True)
class Classification:
    label: str
    confidence: float  # 0..1
    cues: tuple[str, ...]  # what was read, e.g. "POSITIVE: send an offer", "NEGATIVE: not interested"


def answer_part(text: str) -> str:
    """The reply without the quoted mail under it (and without the signature separator's rest)."""
    kept = []
    for line in (text or "").splitlines():
        if _QUOTE_START.match(line.strip()) or line.strip() == "--":
            break
        kept.append(line)
    return "\n".join(kept)


def _negated(text: str, start: int) -> bool:
    """A negation among the three words before a cue ("nicht wirklich interessiert", "not interested")."""
    before = re.split(r"[.!?;,\n]", text[max(0, start - 30):start])[-1]
    return NEGATORS.search(" ".join(before.split()[-3:])) is not None


def _read_cues(text: str) -> tuple[dict[str, float], list[str]]:
    scores = {label: 0.0 for label in PRECEDENCE}
    cues: list[str] = []
    for label, patterns in _COMPILED.items():
        for pattern, weight in patterns:
            for match in pattern.finditer(text):
                found = label
                if label == POSITIVE and _negated(text, match.start()):
                    found = NEGATIVE
                scores[found] += weight
                cues.append(f"{found}: {'not ' if found != label else ''}{match.group(0).strip()}")
    return scores, cues


def classify_reply(text: str) -> Classification:
    """The label of a reply, how sure the reading is, and the cues it rests on."""
    body = " ".join(answer_part(text).lower().split())
    scores, cues = _read_cues(body)
    total = sum(scores.values())
    if total == 0:
        return Classification(NEUTRAL, NO_CUE_CONFIDENCE, ())
    if scores[UNSUBSCRIBE]:  # a wish to hear no more is honoured even inside a longer "no"
        return Classification(UNSUBSCRIBE, round(0.75 + 0.2 * scores[UNSUBSCRIBE] / total, 2), tuple(cues))
    label = max(PRECEDENCE, key=lambda lbl: (scores[lbl], -PRECEDENCE.index(lbl)))
    top = scores[label]
    share = top / total  # 1.0 when every cue agrees; mixed signals lower it (squared: 2 against 1 is unsure)
    strength = 0.55 + 0.45 * min(top, 3.0) / 3.0  # one weak cue is not yet sure
    return Classification(label, round(min(0.98, share ** 2 * strength), 2), tuple(cues))
