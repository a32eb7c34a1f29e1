"""The reply classifier on a labelled set of German and English replies, and the cases it must get right."""
from __future__ import annotations

import pytest

from domain.reply_classifier import NO_CUE_CONFIDENCE, answer_part, classify_reply
from tests.unit.reply_samples import SAMPLES

ACCURACY_AT_LEAST = 0.85


def test_the_labelled_set_is_big_enough_and_covers_both_languages_and_every_label():
    assert len(SAMPLES) >= 60
    assert {lang for lang, _l, _t in SAMPLES} == {"de", "en"}
    assert {label for _lang, label, _t in SAMPLES} == {"POSITIVE", "NEUTRAL", "NEGATIVE", "OUT_OF_OFFICE", "UNSUBSCRIBE"}


@pytest.mark.parametrize("language", ["de", "en", None])
def test_accuracy_on_the_labelled_replies(language):
    chosen = [(label, text) for lang, label, text in SAMPLES if language in (None, lang)]
    right = sum(classify_reply(text).label == label for label, text in chosen)
    accuracy = right / len(chosen)
    print(f"\nreply classifier accuracy ({language or 'all'}): {accuracy:.1%} ({right}/{len(chosen)})")
    assert accuracy >= ACCURACY_AT_LEAST


@pytest.mark.parametrize("text,label", [
    ("Wir sind nicht interessiert.", "NEGATIVE"),
    ("We are not interested in your offer.", "NEGATIVE"),
    ("Kein Interesse.", "NEGATIVE"),
    ("Wir sind interessiert.", "POSITIVE"),
    ("Abwesenheitsnotiz: bis 4.1. nicht erreichbar.", "OUT_OF_OFFICE"),
    ("I am out of office until Monday.", "OUT_OF_OFFICE"),
    ("Bitte abmelden.", "UNSUBSCRIBE"),
    ("Remove me from this list.", "UNSUBSCRIBE"),
    ("Wir würden gerne bestellen.", "POSITIVE"),
    ("Please send an offer.", "POSITIVE"),
])
def test_negation_auto_replies_unsubscribes_and_positives(text, label):
    assert classify_reply(text).label == label


def test_an_unsubscribe_wins_over_a_polite_no():
    result = classify_reply("Not interested, please remove me from your list.")
    assert result.label == "UNSUBSCRIBE" and result.confidence >= 0.75  # acted on, not left for review


def test_mixed_signals_are_less_certain_than_a_clear_answer():
    clear = classify_reply("Sehr gut geschmeckt, schicken Sie uns bitte ein Angebot, wir möchten bestellen.")
    mixed = classify_reply("Hat gut geschmeckt, aber leider zu teuer für uns. Vielleicht schicken Sie uns ein Angebot.")
    assert clear.label == "POSITIVE" and clear.confidence >= 0.9
    assert mixed.confidence < 0.6 < clear.confidence


def test_text_without_any_cue_is_neutral_with_low_confidence_so_a_person_reads_it():
    result = classify_reply("Hallo, siehe Anhang.")
    assert (result.label, result.confidence, result.cues) == ("NEUTRAL", NO_CUE_CONFIDENCE, ())


def test_the_quoted_footer_of_our_own_mail_does_not_unsubscribe_a_positive_answer():
    text = "Gerne, bitte Angebot schicken.\n\nAm 1.12.2026 schrieb FreshPlan:\n> Keine weiteren E-Mails? Abmelden: https://x"
    assert answer_part(text).strip() == "Gerne, bitte Angebot schicken."
    assert classify_reply(text).label == "POSITIVE"


def test_the_cues_say_what_was_read():
    result = classify_reply("Not interested.")
    assert "NEGATIVE: not interested" in result.cues
