"""The ROI assumptions an admin edits on /roi: one row per named number (migration 0007)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from data.models import Base


class AnalyticsAssumption(Base):
    """A number the ROI page assumes (a cost per mail, minutes per manual follow-up ...). A key
    without a row uses the default the service declares, so a new assumption needs no data migration."""

    __tablename__ = "analytics_assumptions"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime]
