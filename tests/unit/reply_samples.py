"""Replies to follow-up mails as restaurants, hotels, canteens and caterers write them, each labelled by
hand: (language, label, text). The classifier's accuracy is measured on these."""
from __future__ import annotations

P, U, N = "POSITIVE", "NEUTRAL", "NEGATIVE"
OOO, UNSUB = "OUT_OF_OFFICE", "UNSUBSCRIBE"

SAMPLES: tuple[tuple[str, str, str], ...] = (
    # German: positive
    ("de", P, "Hallo Frau Berger,\nder Test war super, die Soßen kamen in der Küche sehr gut an. Schicken Sie uns bitte ein Angebot für 20 kg pro Woche.\nGrüße, Marco Rossi"),
    ("de", P, "Guten Tag, wir möchten gerne bestellen. Wie läuft die erste Lieferung ab?"),
    ("de", P, "Die Musterbox hat uns sehr gut geschmeckt, besonders die Brühe. Bitte machen Sie uns ein Angebot."),
    ("de", P, "Wir sind interessiert. Rufen Sie mich gerne an, am besten vormittags unter 089 123456."),
    ("de", P, "Hallo,\nunser Küchenchef ist überzeugt. Können wir einen Termin für nächste Woche ausmachen?\nVG Petra"),
    ("de", P, "Klingt gut! Bitte senden Sie das Angebot mit den 20 % an einkauf@hotel-alpenblick.example."),
    ("de", P, "Sehr gerne, wir würden die Bestellung aufgeben, sobald wir die Preisliste haben. Angebot bitte zusenden."),
    ("de", P, "Die Produkte haben uns begeistert. Wir haben Interesse an einer dauerhaften Zusammenarbeit."),
    ("de", P, "Prima, das Angebot mit 15 % ab 500 EUR passt. Wir möchten bestellen."),
    ("de", P, "Guten Morgen, ja, wir sind interessiert an dem Großkundenrabatt. Schicken Sie mir bitte die Konditionen."),
    ("de", P, "Hat allen sehr gut geschmeckt! Legen wir los – wie geht die Bestellung?"),
    ("de", P, "Hallo Herr Wagner, danke für die Nachfrage. Wir möchten gerne bestellen, bitte melden Sie sich.\n\nAm 12.11.2026 schrieb FreshPlan:\n> Keine weiteren E-Mails? Abmelden: https://cockpit.example/unsubscribe"),
    # German: negative
    ("de", N, "Vielen Dank, aber wir sind nicht interessiert."),
    ("de", N, "Kein Bedarf, wir haben bereits einen Lieferanten, mit dem wir zufrieden sind."),
    ("de", N, "Leider hat uns die Ware nicht überzeugt. Für unsere Mensa ist das zu teuer."),
    ("de", N, "Nein danke. Wir bleiben bei unserem Großhändler."),
    ("de", N, "Hallo, wir haben kein Interesse mehr, der Betrieb wird Ende des Jahres geschlossen."),
    ("de", N, "Die Probe hat nicht geschmeckt, das passt leider nicht zu unserer Küche."),
    ("de", N, "Wir sind an dem Angebot nicht wirklich interessiert, trotzdem danke."),
    ("de", N, "Preislich kommen wir da leider nicht zusammen. Absage für dieses Jahr."),
    # German: neutral
    ("de", U, "Wir haben die Box noch nicht getestet, ich melde mich später."),
    ("de", U, "Ich habe Ihre Mail an unseren Küchenchef weitergeleitet, er ist dafür zuständig."),
    ("de", U, "Eine Frage: Liefern Sie auch nach Südtirol?"),
    ("de", U, "Danke für die Mail. Wir besprechen das im Team und melden uns nächste Woche."),
    ("de", U, "Bin noch nicht dazu gekommen, die Sachen auszuprobieren."),
    ("de", U, "Bitte wenden Sie sich an meine Kollegin Frau Huber, sie macht den Einkauf."),
    # German: out of office
    ("de", OOO, "Abwesenheitsnotiz: Ich bin bis zum 15.12. nicht im Büro. In dringenden Fällen wenden Sie sich an info@gasthaus.example."),
    ("de", OOO, "Vielen Dank für Ihre Nachricht. Ich bin im Urlaub und ab dem 3. Januar wieder erreichbar."),
    ("de", OOO, "Dies ist eine automatische Antwort. Frau Schulz ist derzeit abwesend."),
    ("de", OOO, "Ich bin außer Haus und habe nur eingeschränkt Zugriff auf meine E-Mails. Ab dem 8.1. bin ich wieder da."),
    ("de", OOO, "Automatisch generierte Nachricht: Unser Büro ist vom 23.12. bis 2.1. geschlossen."),
    # German: unsubscribe
    ("de", UNSUB, "Bitte melden Sie mich von Ihrem Verteiler ab."),
    ("de", UNSUB, "Ich möchte keine E-Mails mehr von Ihnen bekommen. Abmelden bitte."),
    ("de", UNSUB, "Bitte tragen Sie uns aus, wir wollen nicht mehr kontaktiert werden. Austragen!"),
    ("de", UNSUB, "Hiermit widerspreche ich der Nutzung meiner Daten. Löschen Sie meine Daten."),
    ("de", UNSUB, "Nehmen Sie uns bitte aus dem Verteiler, keine Werbung mehr."),
    # English: positive
    ("en", P, "Hi Anna,\nthe chef loved it. Please send us an offer for the starter range.\nBest, Tom"),
    ("en", P, "We would like to order. What is the minimum quantity for the first delivery?"),
    ("en", P, "Thanks for the samples, we are interested. Could you send the price list?"),
    ("en", P, "Sounds good, let's go ahead with the 20% hotel offer."),
    ("en", P, "The team was impressed by the quality. Please call me tomorrow to set up a meeting."),
    ("en", P, "Great products! We are ready to order for the canteen, send me a quote please."),
    ("en", P, "Really enjoyed the sauces. We'd like to place an order next week."),
    ("en", P, "Happy to sign up for regular deliveries. Send the offer to purchasing@eventcatering.example."),
    ("en", P, "Yes, interested! Give me a call on 0171 5550123."),
    ("en", P, "Delicious stuff. We're convinced, please send the quotation.\n\nOn Tue, 10 Nov 2026, FreshPlan wrote:\n> No more emails? Unsubscribe: https://cockpit.example/unsubscribe"),
    # English: negative
    ("en", N, "Thanks, but we're not interested."),
    ("en", N, "No thanks, we already have a supplier we are happy with."),
    ("en", N, "Unfortunately the products are too expensive for our canteen."),
    ("en", N, "We tried it, but it didn't convince our chef. We'll pass."),
    ("en", N, "Not for us, sorry. We're sticking with our current wholesaler."),
    ("en", N, "We are not really interested at the moment, the budget is gone."),
    ("en", N, "This doesn't fit our menu. Please don't count on an order."),
    # English: neutral
    ("en", U, "Haven't tried the box yet, I'll get back to you."),
    ("en", U, "I forwarded your email to our head chef, who is in charge of purchasing."),
    ("en", U, "Quick question: do you deliver to Salzburg?"),
    ("en", U, "Got it. We'll discuss it in the team next month."),
    ("en", U, "My colleague Sarah handles this, please contact her."),
    # English: out of office
    ("en", OOO, "Out of office: I am on vacation until 4 January with limited access to email."),
    ("en", OOO, "Automatic reply: I'm away from the office and will be back on Monday."),
    ("en", OOO, "Thank you for your email. I am out of the office, returning on 12 December. For urgent matters call reception."),
    ("en", OOO, "Auto-reply: I'm on parental leave until March."),
    # English: unsubscribe
    ("en", UNSUB, "Please remove me from your mailing list."),
    ("en", UNSUB, "Unsubscribe."),
    ("en", UNSUB, "Stop emailing us. We never asked for this."),
    ("en", UNSUB, "Take me off your list please, no more emails."),
    ("en", UNSUB, "I want to opt out of these messages. Do not contact me again."),
)
