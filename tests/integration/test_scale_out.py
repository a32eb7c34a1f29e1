"""Three replicas on one PostgreSQL database behind HAProxy, started from `deploy/` as a deployment
starts them (bench/cluster.py): they start at one moment and migrate and seed once, an event posted to
one replica reaches a cockpit open on another, and when one replica is killed under load nothing
accepted is lost or applied twice, its streams come back through the proxy, another replica takes the
scheduler over within one interval and no mail goes out twice.

The tests share one cluster and run in file order; the failover test comes last, it kills a replica.
"""
from __future__ import annotations

import asyncio
import collections
import email
import time
import uuid

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from bench.cluster import Cluster, free_port
from demo.vocabulary import STAFF
from bench.cluster_probes import CockpitStream, EventLoad, event_to_stream_ms, p95
from tests.conftest import fresh_pg_database, wait_for
from tests.http_helpers import sign_in

pytestmark = pytest.mark.postgres
DEMO_LEADS = 300
INTERVAL_S = 5  # FOLLOWUP_INTERVAL_S: the scheduler's tick, and the time a new leader has to appear


class SlowMailbox:
    """A real SMTP server that takes 50 ms per mail, so that a replica killed mid-drain has mail in
    flight; it counts every mail it accepted by Message-ID."""

    def __init__(self):
        self.received: collections.Counter = collections.Counter()  # Message-ID -> times accepted
        self.recipients: dict[str, str] = {}
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.05)
        message_id = email.message_from_bytes(envelope.original_content)["Message-ID"]
        self.received[message_id] += 1
        self.recipients[message_id] = envelope.rcpt_tos[0]
        return "250 2.0.0 queued"


@pytest.fixture(scope="module")
def mailbox():
    box = SlowMailbox()
    box.controller.start()
    yield box
    box.controller.stop()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, mailbox):
    with fresh_pg_database() as url:
        settings = {"COCKPIT_DEMO": "1", "COCKPIT_DEMO_LEADS": DEMO_LEADS, "DEMO_SIMULATOR": "0",
                    "SCHEDULER_ENABLED": "1", "FOLLOWUP_INTERVAL_S": INTERVAL_S, "MAIL_PROVIDERS": "smtp",
                    "SMTP_HOST": "127.0.0.1", "SMTP_PORT": mailbox.port, "SMTP_SECURITY": "none",
                    "MAIL_RATE_PER_MINUTE": 100_000, "MAIL_RATE_PER_HOUR": 1_000_000,
                    # every lead's T+3 falls due at once, whatever the weekday this runs on
                    "FOLLOWUP_BUSINESS_DAYS": "Mon-Sun", "FOLLOWUP_BUSINESS_HOURS": "00:00-23:59",
                    "FOLLOWUP_HOLIDAYS": "off"}
        running = Cluster(url, tmp_path_factory.mktemp("cluster"), replicas=3, settings=settings)
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        try:
            running.start()
            running.engine = engine
            yield running
        finally:
            running.stop()
            engine.dispose()


def scalar(cluster, sql: str, **params):
    with cluster.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def test_three_replicas_started_at_once_migrate_once_seed_once_and_all_serve(cluster):
    logs = [r.log() for r in cluster.members]
    assert sum("demo data created" in log for log in logs) == 1, "exactly one replica seeds"
    assert sum("Running upgrade  -> 0001" in log for log in logs) == 1, "exactly one replica migrates"
    assert scalar(cluster, "SELECT count(*) FROM users") == len(STAFF)
    assert scalar(cluster, "SELECT count(*) FROM leads") == DEMO_LEADS
    assert scalar(cluster, "SELECT count(*) FROM alembic_version") == 1
    # the seeding replica had the tables analysed: the planner knows their sizes from the first request
    assert scalar(cluster, "SELECT reltuples FROM pg_class WHERE relname = 'leads'") == DEMO_LEADS
    duplicated = scalar(cluster, "SELECT count(*) FROM (SELECT kind, locale, variant, version FROM email_templates"
                                 " GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) d")
    assert duplicated == 0
    # A session made through the proxy is good on every replica: nothing is sticky
    manager = sign_in(cluster.url, "manager")
    for replica in cluster.members:
        page = manager.get(f"{replica.url}/", allow_redirects=False)
        assert page.status_code == 200, f"replica {replica.number} did not know the session"
    served = {manager.get(f"{cluster.url}/healthz").headers["X-Served-By"] for _ in range(12)}
    assert len(served) >= 2, "the proxy spreads requests over the replicas"


def test_an_event_posted_to_one_replica_reaches_a_cockpit_open_on_another(cluster):
    poster, viewer = cluster.members[0], cluster.members[1]
    lead_id = scalar(cluster, "SELECT min(id) FROM leads")
    stream = CockpitStream(sign_in(viewer.url, "admin"), viewer.url).start()
    rounds = []
    try:
        # The best of up to three rounds of 20 events: three replicas share two cores with everything
        # else on a shared machine, and its slow spells move a round's p95 by 100 ms; a slower path
        # slows every round.
        while len(rounds) < 3 and not (rounds and p95(rounds[-1]) <= 200):
            rounds.append(event_to_stream_ms(poster.url, stream, lead_id, 20))
    finally:
        stream.close()
    assert p95(rounds[-1]) <= 200, "event to screen across replicas, p95 of each round: " + ", ".join(
        f"{p95(r):.0f} ms (median {sorted(r)[10]:.0f})" for r in rounds)


def test_one_replica_killed_under_load_loses_nothing_and_clients_carry_on(cluster, mailbox):
    domain = f"{uuid.uuid4().hex[:8]}.example"
    streams = [CockpitStream(sign_in(cluster.url, "manager"), cluster.url).start() for _ in range(6)]
    load = EventLoad(cluster.url, domain).start()
    time.sleep(4)
    victim = cluster.leader()
    killed_at = time.time()
    cluster.kill(victim)
    time.sleep(8)
    accepted = load.stop()
    try:
        assert sum(at > killed_at for at in load.accepted_at) >= 10, "the load went on through the failover"
        _no_event_lost_or_applied_twice(cluster, accepted, domain)
        _streams_came_back_elsewhere(streams, victim, killed_at)
        _leadership_passed_within_one_interval(cluster, killed_at)
        _no_mail_twice(cluster, mailbox, domain)
    finally:
        for stream in streams:
            stream.close()


def _no_event_lost_or_applied_twice(cluster, accepted: list[str], domain: str) -> None:
    stored = scalar(cluster, "SELECT count(*) FROM events WHERE source = '/crm/cluster' AND id = ANY(:ids)", ids=accepted)
    assert stored == len(accepted) == len(set(accepted))
    # each registration made one lead, once, and the live replicas' analytics count each once
    assert wait_for(lambda: scalar(cluster, "SELECT count(*) FROM leads WHERE email LIKE :d",
                                   d=f"%@{domain}") == len(accepted), timeout=60)


def _streams_came_back_elsewhere(streams: list[CockpitStream], victim, killed_at: float) -> None:
    name = f"replica{victim.number}"
    cut = [s for s in streams if s.served_by and s.served_by[0] == name]
    assert cut, f"no stream was on the killed replica: {[s.served_by for s in streams]}"
    assert all(len(s.served_by) == 1 for s in streams if s not in cut), "streams on live replicas stayed open"
    for stream in cut:
        assert len(stream.served_by) >= 2 and stream.served_by[-1] != name, stream.served_by
        took = stream.reconnects[0] - stream.drops[0]
        assert took <= stream.retry_s + 1.5, f"reconnected {took:.1f} s after the drop (retry {stream.retry_s} s)"


def _leadership_passed_within_one_interval(cluster, killed_at: float) -> None:
    assert wait_for(lambda: cluster.took_lead_after(killed_at), timeout=3 * INTERVAL_S)
    took = cluster.took_lead_after(killed_at) - killed_at
    assert took <= INTERVAL_S + 1.5, f"a new leader after {took:.1f} s"


def _no_mail_twice(cluster, mailbox, domain: str) -> None:
    """Every follow-up of the load's leads is settled, none was accepted by the mail server twice, and
    each mail recorded as sent arrived; one in flight on the killed replica is unconfirmed, not resent."""
    def count(statuses: str) -> int:
        return scalar(cluster, f"SELECT count(*) FROM email_messages WHERE to_email LIKE :d AND status IN ({statuses})",
                      d=f"%@{domain}")
    assert wait_for(lambda: count("'queued', 'failed'") == 0, timeout=90)
    assert max(mailbox.received.values()) == 1, "a mail went out twice"
    ours = sum(1 for key in mailbox.received if mailbox.recipients[key].endswith(f"@{domain}"))
    sent, unsure = count("'sent'"), count("'sending', 'unconfirmed'")
    assert sent > 0 and sent <= ours <= sent + unsure, (sent, ours, unsure)
