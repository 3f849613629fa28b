"""Chinese working days: statutory holidays and make-up working days (调休) from the
`chinese-calendar` package, overridden by the company's own WorkdayOverride rows.

For a year the package does not know yet, Monday–Friday plus the override table applies, and
`unknown_years()` tells administrators to enter that year's holidays.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import chinese_calendar


def _overrides(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    from .models import WorkdayOverride

    return dict(WorkdayOverride.objects.filter(date__range=(start, end)).values_list("date", "is_workday"))


@lru_cache(maxsize=8192)
def _statutory(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def known_year(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


def unknown_years(today: dt.date | None = None) -> list[int]:
    """This year and next, where the package has no data and no override covers the year."""
    from .models import WorkdayOverride

    today = today or dt.date.today()
    out = []
    for year in (today.year, today.year + 1):
        if (
            not known_year(year)
            and not WorkdayOverride.objects.filter(date__year=year, is_workday=False, date__week_day__in=[2, 3, 4, 5, 6]).exists()
        ):
            out.append(year)
    return out


def is_workday(day: dt.date) -> bool:
    ov = _overrides(day, day)
    return ov[day] if day in ov else _statutory(day)


def add_workdays(start: dt.date, n: int) -> dt.date:
    """The n-th working day after `start` (before it when n < 0); n = 0 returns start itself."""
    if n == 0:
        return start
    step = 1 if n > 0 else -1
    # The longest Chinese holiday run is 8–9 days, so 3 calendar days per working day plus a
    # margin always covers the answer; one query fetches the overrides for that window.
    span = dt.timedelta(days=abs(n) * 3 + 30)
    ov = _overrides(start - span, start + span)
    day, left = start, abs(n)
    while left:
        day += dt.timedelta(days=step)
        if ov[day] if day in ov else _statutory(day):
            left -= 1
    return day


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days in the half-open range (start, end]: how many working days have passed
    from `start` to `end`; negative if end is before start."""
    if end < start:
        return -workdays_between(end, start)
    ov = _overrides(start, end)
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if ov[day] if day in ov else _statutory(day):
            count += 1
    return count
