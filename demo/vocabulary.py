"""Word lists for the demo data (people, food-service companies, cities, replies, e-mail templates)
and the small functions that compose names, phone numbers and VAT ids from them.

Kept apart from demo/stories.py so the generator reads as the story of a lead.
"""
from __future__ import annotations

import re
from html import escape
from random import Random

from jinja2 import Environment, meta

# Staff of the demo tenant: (username, display name, role, team name or None).
STAFF = (
    ("admin", "Katharina Vogel", "admin", None),
    ("manager", "Thomas Brandt", "manager", "Nord"),
    ("sales", "Lena Hoffmann", "sales", "Nord"),
    ("sales2", "Jonas Petersen", "sales", "Nord"),
    ("analyst", "Miriam Aebischer", "analyst", None),
    ("viewer", "Florian Gruber", "viewer", None),
    ("manager2", "Andrea Huber", "manager", "Süd"),
    ("sales3", "Stefan Moser", "sales", "Süd"),
    ("sales4", "Sabine Steiner", "sales", "Süd"),
)

FIRST_NAMES = (
    "Anna", "Lukas", "Sophie", "Maximilian", "Marie", "Felix", "Laura", "Jonas", "Julia", "Tobias",
    "Sarah", "Florian", "Lisa", "Matthias", "Hannah", "Sebastian", "Katrin", "Michael", "Sandra", "Andreas",
    "Johanna", "Martin", "Claudia", "Stefan", "Verena", "Reto", "Barbara", "Urs", "Nadine", "Beat",
    "Magdalena", "Georg", "Theresa", "Wolfgang", "Elisabeth", "Dominik", "Franziska", "Christoph", "Petra", "Jürgen",
    "Regula", "Simon", "Daniela", "Markus", "Ursula", "Patrick", "Monika", "Fabian", "Silvia", "Harald",
)
LAST_NAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
    "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger",
    "Gruber", "Huber", "Bauer", "Wimmer", "Pichler", "Moser", "Mayr", "Leitner", "Hofer", "Eder",
    "Steiner", "Brunner", "Keller", "Meier", "Baumann", "Frei", "Zürcher", "Gerber", "Widmer", "Graf",
    "Lehmann", "Hartmann", "Lang", "Kaiser", "Fuchs", "Haas", "Berger", "Winkler", "Lorenz", "Seidl",
)

# (city, country, phone area code without trunk prefix, sales team covering it)
CITIES = (
    ("Hamburg", "DE", "40", "Nord"), ("Berlin", "DE", "30", "Nord"), ("Bremen", "DE", "421", "Nord"),
    ("Hannover", "DE", "511", "Nord"), ("Köln", "DE", "221", "Nord"), ("Düsseldorf", "DE", "211", "Nord"),
    ("Münster", "DE", "251", "Nord"), ("Leipzig", "DE", "341", "Nord"), ("Dresden", "DE", "351", "Nord"),
    ("Rostock", "DE", "381", "Nord"), ("Kiel", "DE", "431", "Nord"), ("Kassel", "DE", "561", "Nord"),
    ("Erfurt", "DE", "361", "Nord"), ("Lübeck", "DE", "451", "Nord"), ("Dortmund", "DE", "231", "Nord"),
    ("München", "DE", "89", "Süd"), ("Stuttgart", "DE", "711", "Süd"), ("Nürnberg", "DE", "911", "Süd"),
    ("Augsburg", "DE", "821", "Süd"), ("Freiburg im Breisgau", "DE", "761", "Süd"), ("Regensburg", "DE", "941", "Süd"),
    ("Frankfurt am Main", "DE", "69", "Süd"), ("Heidelberg", "DE", "6221", "Süd"), ("Konstanz", "DE", "7531", "Süd"),
    ("Wien", "AT", "1", "Süd"), ("Graz", "AT", "316", "Süd"), ("Linz", "AT", "732", "Süd"),
    ("Salzburg", "AT", "662", "Süd"), ("Innsbruck", "AT", "512", "Süd"), ("Klagenfurt", "AT", "463", "Süd"),
    ("Bregenz", "AT", "5574", "Süd"), ("Zürich", "CH", "44", "Süd"), ("Bern", "CH", "31", "Süd"),
    ("Basel", "CH", "61", "Süd"), ("Luzern", "CH", "41", "Süd"), ("St. Gallen", "CH", "71", "Süd"),
    ("Winterthur", "CH", "52", "Süd"), ("Lugano", "CH", "91", "Süd"),
)
TIMEZONES = {"DE": "Europe/Berlin", "AT": "Europe/Vienna", "CH": "Europe/Zurich"}

# Weighted so restaurants dominate, as they do in the real pipeline.
BUSINESS_WEIGHTS = {"RESTAURANT": 45, "HOTEL": 20, "CANTEEN": 13, "CATERING": 12, "OTHER": 10}
# Monthly volume in EUR a lead of each type typically orders: (low, high).
VOLUME_RANGES = {"RESTAURANT": (400, 3000), "HOTEL": (800, 5000), "CANTEEN": (1500, 5000),
                 "CATERING": (300, 2500), "OTHER": (300, 1500)}

INN_NAMES = (
    "Zur Linde", "Zum Hirschen", "Zur Post", "Zum goldenen Adler", "Krone", "Sonne", "Zum Löwen", "Am Markt",
    "Seeblick", "Zum Schwan", "Rössli", "Zur alten Mühle", "Zum Ochsen", "Bären", "Zur Traube", "Am Dom",
    "Zum Stern", "Lindenhof", "Zur Brücke", "Alte Schmiede", "Zum Kreuz", "Rathausstube", "Zum Rebstock", "Eiche",
)
RESTAURANT_PREFIXES = (
    "Gasthaus", "Restaurant", "Wirtshaus", "Landgasthof", "Gaststätte", "Weinstube", "Brauhaus", "Bistro",
    "Gasthof", "Beisl", "Brasserie", "Speisewirtschaft",
)
HOTEL_NAMES = (
    "Alpenblick", "Seeblick", "Bergkristall", "Sonnenhof", "Post", "Krone", "Am Park", "Edelweiss",
    "Zum Schwan", "Waldesruh", "Rheinblick", "Kaiserhof", "Bellevue", "Stadtpalais", "Am Hafen", "Hirschen",
)
HOTEL_PREFIXES = ("Hotel", "Landhotel", "Parkhotel", "Romantikhotel", "Gasthof & Hotel", "Boutique-Hotel", "Wellnesshotel")
CANTEEN_PREFIXES = ("Betriebskantine", "Betriebsrestaurant", "Mensa", "Kantine", "Casino")
CANTEEN_SITES = (
    "Stadtwerke", "Klinikum", "Universität", "Technologiepark", "Landratsamt", "Hartmann Maschinenbau Campus",
    "Logistikzentrum", "Versicherungsforum", "Rathaus", "Berufsschulzentrum", "Innovationscampus", "Kreisspital",
)
CATERING_PATTERNS = ("{last} Catering", "Partyservice {last}", "{city} Event-Catering", "Catering & Events {last}",
                     "Feinkost {last} Catering", "Genussmanufaktur {last}")
OTHER_PATTERNS = ("Bäckerei-Café {last}", "Café {inn}", "Seniorenresidenz {inn}", "Kita-Küche {city}",
                  "Eventlocation Alte Halle {city}", "Metzgerei {last} Mittagstisch", "Foodtruck {last}")

EMAIL_LOCAL_PARTS = ("info", "kontakt", "einkauf", "kueche", "{first}.{last}", "{first}")

NOTES = (
    "Bevorzugt Lieferung dienstags vor 10 Uhr.", "Fragt nach Bio-Sortiment.", "Küchenchef ist Ansprechpartner für Muster.",
    "Hat bisher bei einem Großhändler vor Ort bestellt.", "Saisonbetrieb, Hauptsaison Mai bis September.",
    "Interessiert an vegetarischen Convenience-Produkten.", "Contact prefers English.",
)
CALL_NOTES = ("Musterbox besprochen, Feedback positiv.", "Rückruf vereinbart.", "Preisliste erklärt.",
              "Nicht erreicht, Nachricht hinterlassen.", "Liefertage abgestimmt.")
MEETING_NOTES = ("Verkostung vor Ort.", "Sortimentsgespräch mit Küchenchef.", "Konditionen besprochen.")
EMAIL_NOTES = ("Preisliste gesendet.", "Rückfragen zur Musterbox beantwortet.", "Angebot nachgereicht.")

REPLY_TEXTS = {
    "POSITIVE": ("Die Muster waren super, bitte schicken Sie uns ein Angebot.", "Gerne, wir möchten bestellen.",
                 "Klingt gut, rufen Sie mich diese Woche an.", "Great samples, please send the price list."),
    "NEUTRAL": ("Wir melden uns nach der Saison.", "Bitte schicken Sie mir weitere Infos.",
                "Noch nicht probiert, melde mich später.", "Thanks, we will discuss it internally."),
    "NEGATIVE": ("Kein Interesse, danke.", "Wir sind mit unserem Lieferanten zufrieden.",
                 "Zu teuer für uns.", "Not interested, thank you."),
    "OUT_OF_OFFICE": ("Ich bin bis Montag nicht im Haus.", "Abwesenheitsnotiz: zurück in zwei Wochen.",
                      "I am out of the office until next week."),
    "UNSUBSCRIBE": ("Bitte keine weiteren E-Mails.", "Bitte aus dem Verteiler nehmen.", "Please unsubscribe me."),
}
# Share of replies per label: about 40% positive, as the pipeline usually sees.
REPLY_WEIGHTS = {"POSITIVE": 40, "NEUTRAL": 20, "NEGATIVE": 16, "OUT_OF_OFFICE": 14, "UNSUBSCRIBE": 10}

SAMPLE_BOXES = {"RESTAURANT": "Starterbox Gastro + Saucen-Set", "HOTEL": "Starterbox Hotel + Frühstücks-Set",
                "CANTEEN": "Starterbox GV + Suppen-Set", "CATERING": "Starterbox Catering + Fingerfood-Set",
                "OTHER": "Starterbox Basis + Snack-Set"}

_FOOTER = "Viele Grüße\nIhr FreshPlan-Team\n\nKeine E-Mails mehr? Abmelden: {{ unsubscribe_url }}"
# (name, kind, variant, weight, subject, body text); the HTML body is derived from the text.
TEMPLATES = (
    ("sample-request", "SAMPLE_REQUEST", "A", 50, "Wie haben Ihnen unsere Muster geschmeckt, {{ contact_name }}?",
     "Hallo {{ contact_name }},\n\nvor ein paar Tagen kam Ihre Musterbox bei {{ company }} an: {{ products }}.\n\n"
     "Wie war der Produkttest in Ihrer Küche? Eine kurze Antwort genügt.\n\n" + _FOOTER),
    ("sample-request", "SAMPLE_REQUEST", "B", 50, "{{ company }}: Ihr Feedback zur Musterbox",
     "Guten Tag {{ contact_name }},\n\nhaben Sie {{ products }} schon ausprobiert?\n\n"
     "Wir freuen uns über Ihr ehrliches Urteil und beraten Sie gern zum passenden Sortiment.\n\n" + _FOOTER),
    ("bulk-offer", "FOLLOW_UP", "A", 100, "{{ discount_percent }} % Rabatt für {{ company }}",
     "Hallo {{ contact_name }},\n\nfür Ihre erste Großbestellung erhalten Sie {{ discount_percent }} % Rabatt "
     "ab einem Bestellwert von {{ min_order_eur }} EUR.\n\nAntworten Sie einfach auf diese E-Mail.\n\n" + _FOOTER),
    ("reminder", "REMINDER", "A", 100, "Kurze Erinnerung für {{ company }}",
     "Hallo {{ contact_name }},\n\nunser Angebot mit {{ discount_percent }} % Rabatt gilt noch diese Woche.\n\n"
     "Sollen wir Sie anrufen?\n\n" + _FOOTER),
    ("welcome", "WELCOME", "A", 100, "Willkommen bei FreshPlan, {{ company }}!",
     "Hallo {{ contact_name }},\n\nschön, dass {{ company }} jetzt Kunde ist. Ihr Ansprechpartner meldet sich "
     "in Kürze zum Onboarding.\n\n" + _FOOTER),
)

# Shipped disabled: an admin switches it on once the team agrees on the threshold.
EXAMPLE_RULE = {"name": "Positive reply from a qualified lead", "decision": "CONVERT", "priority": 10,
                "expression": 'reply.label == "POSITIVE" and lead.score >= 60', "enabled": False, "version": 1,
                "description": "Example: convert well-scored leads that answered positively."}


def company_name(rng: Random, btype: str, city: str, last: str) -> str:
    """A varied, plausible name: "Gasthaus Zur Linde", "Hotel Alpenblick Innsbruck", "Mensa Klinikum Graz"."""
    inn = rng.choice(INN_NAMES)
    if btype == "RESTAURANT":
        name = f"{rng.choice(RESTAURANT_PREFIXES)} {inn}"
    elif btype == "HOTEL":
        name = f"{rng.choice(HOTEL_PREFIXES)} {rng.choice(HOTEL_NAMES)}"
    elif btype == "CANTEEN":
        return f"{rng.choice(CANTEEN_PREFIXES)} {rng.choice(CANTEEN_SITES)} {city}"
    else:
        patterns = CATERING_PATTERNS if btype == "CATERING" else OTHER_PATTERNS
        name = rng.choice(patterns).format(last=last, city=city, inn=inn)
    return f"{name} {city}" if city not in name and rng.random() < 0.3 else name


def slug(value: str) -> str:
    value = value.lower().translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "&": "und"}))
    return re.sub(r"[^a-z0-9]+", "-", value).strip("-")


def phone_number(rng: Random, country: str, area: str) -> str:
    if country == "CH":
        return f"+41 {area} {rng.randint(200, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
    return f"+{'43' if country == 'AT' else '49'} {area} {rng.randint(100000, 9999999)}"


def vat_id(rng: Random, country: str) -> str:
    if country == "AT":
        return f"ATU{rng.randint(10**7, 10**8 - 1)}"
    if country == "CH":
        return "CHE-{:03d}.{:03d}.{:03d}".format(*(rng.randint(0, 999) for _ in range(3)))
    return f"DE{rng.randint(10**8, 10**9 - 1)}"


def lead_identity(rng: Random, i: int, team: str) -> dict:
    """Who a lead is: company, contact, address data; the index keeps every e-mail address unique."""
    btype = rng.choices(list(BUSINESS_WEIGHTS), weights=list(BUSINESS_WEIGHTS.values()))[0]
    city, country, area, _ = rng.choice([c for c in CITIES if c[3] == team])
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    company = company_name(rng, btype, city, last)
    local = rng.choice(EMAIL_LOCAL_PARTS).format(first=slug(first), last=slug(last))
    return {"company": company, "contact_name": f"{first} {last}", "email": f"{local}@{slug(company)}-{i + 1}.example",
            "phone": phone_number(rng, country, area), "business_type": btype, "city": city, "country": country,
            "vat_id": vat_id(rng, country) if rng.random() < 0.85 else None, "timezone": TIMEZONES[country]}


def template_fields() -> list[dict]:
    """TEMPLATES as EmailTemplate fields: an HTML body derived from the text, and the variables it uses."""
    env, rows = Environment(), []
    for name, kind, variant, weight, subject, body in TEMPLATES:
        declared = sorted(meta.find_undeclared_variables(env.parse(subject + "\n" + body)))
        html = "".join(f"<p>{escape(p, quote=False).replace(chr(10), '<br>')}</p>" for p in body.split("\n\n"))
        html = html.replace("Abmelden: {{ unsubscribe_url }}", '<a href="{{ unsubscribe_url }}">Abmelden</a>')
        rows.append({"name": name, "kind": kind, "version": 1, "variant": variant, "weight": weight, "locale": "de",
                     "subject": subject, "body_text": body, "body_html": html, "variables": {"declared": declared},
                     "active": True})
    return rows
