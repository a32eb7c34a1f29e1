"""The database's failures as the layers above name them: services and pipelines catch these, never
SQLAlchemy's or a driver's classes."""
from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from data.db import WriteLockTimeout, is_lock_timeout

ConstraintViolation = IntegrityError  # a unique key (or another constraint) refused the write
StoreError = DBAPIError  # anything the database or its driver reported

__all__ = ["ConstraintViolation", "StoreError", "WriteLockTimeout", "is_lock_timeout", "is_transient"]


def is_transient(exc: BaseException) -> bool:
    """A store that could not answer (locked, connection gone): worth trying the same work again."""
    if isinstance(exc, (OperationalError, InterfaceError, WriteLockTimeout)):
        return True
    return isinstance(exc, DBAPIError) and is_lock_timeout(exc)
