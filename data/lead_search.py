"""The leads' search box: a case-insensitive substring search over their text columns that reads an
index (migration 0016) rather than every lead, on both databases.

SQLite: the FTS5 trigram table `leads_search`; a quoted phrase matches where the term's characters stand
together in one column, folding case as unicode_lower does. Trigrams need three characters, so shorter
terms scan with LIKE, as PostgreSQL's pg_trgm indexes also only help from three characters on.
"""
from __future__ import annotations

from sqlalchemy import bindparam, column, func, or_, select, table, text
from sqlalchemy.orm import Session

from data.models import Lead
from data.repositories import _contains

_INDEXED = {"company", "contact_name", "email", "city"}
_LEADS_SEARCH = table("leads_search", column("rowid"))


def lead_text_contains(session: Session, term: str, columns: tuple, *, walked_in_order: bool = False) -> object:
    """A condition on Lead: one of `columns` (Lead attributes) contains `term`, ignoring case.
    `walked_in_order`: SQLite walks the leads in the query's (indexed) order and checks each against
    the matches, rather than looking every match up and sorting them: for one page among thousands of
    matches (25 of 7,000: 3.5 ms against 11), not among a few (a term found nowhere: 18 ms against 1)."""
    phrase = _indexed_phrase(session, term, columns)
    if phrase is None:
        return or_(*(_contains(session, c, term) for c in columns))
    looked_up = Lead.id + 0 if walked_in_order else Lead.id  # `+ 0`: no look-up by id, a check per lead
    return looked_up.in_(select(_LEADS_SEARCH.c.rowid).where(_matching(phrase)))


def count_matches(session: Session, term: str, columns: tuple) -> int | None:
    """How many leads contain `term` in `columns`, from the index alone (for every lead, with no other
    condition); None where the index cannot answer."""
    phrase = _indexed_phrase(session, term, columns)
    if phrase is None:
        return None
    return int(session.scalar(select(func.count()).select_from(_LEADS_SEARCH).where(_matching(phrase))) or 0)


def _indexed_phrase(session: Session, term: str, columns: tuple) -> str | None:
    """The FTS5 query for `term` in `columns`: a quoted phrase matches where the term's characters stand
    together in one column. None where the index cannot answer (PostgreSQL, terms under 3 characters)."""
    names = [c.key for c in columns]
    if session.get_bind().dialect.name != "sqlite" or len(term) < 3 or not set(names) <= _INDEXED:
        return None
    return "{%s} : \"%s\"" % (" ".join(names), term.replace('"', '""'))


def _matching(phrase: str):
    return text("leads_search MATCH :phrase").bindparams(bindparam("phrase", phrase, unique=True))
