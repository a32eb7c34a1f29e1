"""The leads' search box: a case-insensitive substring search over their text columns that reads an
index (migration 0016) rather than every lead, on both databases.

SQLite: the FTS5 trigram table `leads_search`; a quoted phrase matches where the term's characters stand
together in one column, folding case as unicode_lower does. Trigrams need three characters, so shorter
terms scan with LIKE, as PostgreSQL's pg_trgm indexes also only help from three characters on.
"""
from __future__ import annotations

from sqlalchemy import bindparam, column, or_, select, table, text
from sqlalchemy.orm import Session

from data.models import Lead
from data.repositories import _contains

_INDEXED = {"company", "contact_name", "email", "city"}
_LEADS_SEARCH = table("leads_search", column("rowid"))


def lead_text_contains(session: Session, term: str, columns: tuple) -> object:
    """A condition on Lead: one of `columns` (Lead attributes) contains `term`, ignoring case."""
    names = [c.key for c in columns]
    if session.get_bind().dialect.name != "sqlite" or len(term) < 3 or not set(names) <= _INDEXED:
        return or_(*(_contains(session, c, term) for c in columns))
    phrase = "{%s} : \"%s\"" % (" ".join(names), term.replace('"', '""'))
    matches = text("leads_search MATCH :phrase").bindparams(bindparam("phrase", phrase, unique=True))
    return Lead.id.in_(select(_LEADS_SEARCH.c.rowid).where(matches))
