"""The demo simulator: while a demo serves, other systems seem to be at work. Every few seconds it
sends what a CRM, a parcel service and a mailbox would: new leads, sample deliveries and replies
(positive, neutral, negative, absence notices; in German and English).

It goes through the real write path (services.ingest, as `POST /api/events` does), so the relay and
its consumers apply the events and the cockpit, the follow-ups and the analytics move as in real
life. Deterministic: the same seed and the same clock give the same events.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime

from demo import vocabulary as V
from domain.cloudevents import CloudEvent
from domain.events import FOLLOWUP_REPLIED, LEAD_REGISTERED, LEAD_SAMPLE_DELIVERED
from runtime.worker import Worker
from services.clock import Clock, utc_now
from services.ingest import check_external, ingest_events
from services.tracking import Tracking, follow_click, recent_sent, record_open, token_for

log = logging.getLogger(__name__)
SOURCE = "/demo/simulator"
PRODUCES = {SOURCE: (LEAD_REGISTERED, LEAD_SAMPLE_DELIVERED, FOLLOWUP_REPLIED)}  # the catalog reads it (app.py adds this module)
OWNERS = tuple((username, team) for username, _name, role, team in V.STAFF if role == "sales")
# Absence notices are common in real mailboxes; unsubscribes come through the unsubscribe link instead.
REPLY_LABELS = {"POSITIVE": 40, "OUT_OF_OFFICE": 30, "NEUTRAL": 20, "NEGATIVE": 10}


@dataclass
class SimulatedLead:
    email: str
    company: str
    sampled: bool = False
    answered: bool = False  # a real answer ends its sequence; an absence notice does not


class DemoSimulator(Worker):
    """`tick()` sends one round of events; `start()` ticks every `interval_s` in a thread until `stop()`."""

    def __init__(self, uow, seed: int = 42, interval_s: float = 5.0, clock: Clock = utc_now,
                 tracking: Tracking | None = None):
        """`tracking`: when given, readers open (and some click) the mails the cockpit sent."""
        super().__init__("demo-simulator", poll_seconds=interval_s, join_seconds=5.0, wait_first=True)
        self.uow, self.interval_s, self.clock, self.tracking = uow, interval_s, clock, tracking
        self.rng = random.Random(seed)
        # A restart sends new events and leads, not repeats of the last run's: ids and addresses carry its start.
        self.started = f"{clock():%Y%m%d%H%M%S}"
        self.run = f"{seed}-{self.started}"
        self._n = 0  # events within the current tick
        self.leads: list[SimulatedLead] = []
        self.ticks = 0

    def tick(self) -> list[CloudEvent]:
        """One round: maybe a new lead, maybe a sample delivery, maybe a reply; logged in one transaction."""
        now, rng = self.clock(), self.rng
        waiting = [lead for lead in self.leads if not lead.sampled and not lead.answered]
        # Mostly those who tried the sample answer (the sample is the progress readiness asks for).
        listening = [lead for lead in self.leads if not lead.answered and (lead.sampled or rng.random() < 0.2)]
        events, self._n = [], 0
        if not self.leads or rng.random() < 0.7:
            events.append(self._registration(now))
        if waiting and rng.random() < 0.5:
            events.append(self._delivery(rng.choice(waiting), now))
        if listening and rng.random() < 0.4:
            events.append(self._reply(rng.choice(listening), now))
        ingest_events(self.uow, [check_external(event) for event in events], self.clock)
        self._read_mail()
        self.ticks += 1
        return events

    def _read_mail(self) -> None:
        """Now and then a reader opens one of the newest mails, and a few follow its first link."""
        if self.tracking is None or not self.tracking.enabled or self.rng.random() >= 0.5:
            return
        sent = recent_sent(self.uow)
        if sent:
            token = token_for(self.tracking, self.rng.choice(sent))
            record_open(self.uow, self.tracking, token, self.clock)
            if self.rng.random() < 0.25:
                follow_click(self.uow, self.tracking, token, 0, self.clock)

    def _event(self, type_: str, data: dict, now: datetime) -> CloudEvent:
        self._n += 1
        return CloudEvent(id=f"sim-{self.run}-{self.ticks}-{self._n}", source=SOURCE, type=type_, time=now, data=data)

    def _registration(self, now: datetime) -> CloudEvent:
        owner, team = self.rng.choice(OWNERS)
        who = V.lead_identity(self.rng, 1_000_000 + len(self.leads), team)
        email = who["email"].replace(".example", f"-{self.started}.example")
        self.leads.append(SimulatedLead(email, who["company"]))
        return self._event(LEAD_REGISTERED, {
            "company": who["company"], "business_type": who["business_type"], "registered_at": now.isoformat(),
            "email": email, "contact_name": who["contact_name"], "city": who["city"], "owner": owner,
            "email_consent": self.rng.random() < 0.9, **self._prospects()}, now)

    def _prospects(self) -> dict:
        """Score and volume as a CRM would rate them: about half good enough to convert on a yes."""
        rng = self.rng
        score = rng.choice((rng.randint(70, 98), rng.randint(70, 98), rng.randint(45, 69), rng.randint(10, 44)))
        return {"score": score, "estimated_volume": None if rng.random() < 0.1 else rng.randrange(400, 6000, 50)}

    def _delivery(self, lead: SimulatedLead, now: datetime) -> CloudEvent:
        lead.sampled = True
        return self._event(LEAD_SAMPLE_DELIVERED, {"email": lead.email, "delivered_at": now.isoformat()}, now)

    def _reply(self, lead: SimulatedLead, now: datetime) -> CloudEvent:
        label = self.rng.choices(list(REPLY_LABELS), weights=list(REPLY_LABELS.values()))[0]
        lead.answered = label != "OUT_OF_OFFICE"
        data = {"email": lead.email, "replied_at": now.isoformat(), "text": self.rng.choice(V.REPLY_TEXTS[label])}
        how = self.rng.random()
        if how < 0.65:  # the mailbox's own classifier was sure
            data.update(label=label, confidence=0.9)
        elif how < 0.8:  # it was unsure: a person reviews the reply
            data.update(label=label, confidence=0.45)
        return self._event(FOLLOWUP_REPLIED, data, now)  # else unlabelled: the cockpit's classifier reads the text

    def start(self) -> "DemoSimulator":
        log.info("demo simulator started: a round of lead events every %.0f s", self.interval_s)
        return super().start()

    def pass_once(self) -> bool:
        self.tick()
        return False  # one round per interval
