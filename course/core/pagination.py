"""Offset pagination over a SELECT: one query for the page's rows, one for the total."""
from dataclasses import dataclass
from math import ceil

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Page:
    rows: list
    number: int  # 1-based
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def paginate(session: Session, query: Select, number: int, per_page: int) -> Page:
    """Page `number` of `query` (which must be ordered); a number past the end gives an empty page
    without asking the database (whose OFFSET would overflow on a number such as 10**20)."""
    number = max(1, number)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    if (number - 1) * per_page >= max(total, 1):
        return Page([], number, per_page, total)
    rows = session.execute(query.limit(per_page).offset((number - 1) * per_page)).all()
    return Page(rows, number, per_page, total)
