"""Public holidays per country from the maintained `holidays` package, cached per (country, year)."""
from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays


@lru_cache(maxsize=256)
def _holidays_of(country: str, year: int) -> frozenset[date]:
    try:
        return frozenset(holidays.country_holidays(country, years=year))
    except NotImplementedError:  # a country the package does not know: weekends only
        return frozenset()


class PublicHolidays:
    """The nationwide public holidays of a country (the domain's HolidayCalendar)."""

    def is_holiday(self, country: str, day: date) -> bool:
        return day in _holidays_of((country or "DE").upper(), day.year)
