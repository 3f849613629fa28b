import datetime as dt

import pytest

from guanxi.core import workdays
from guanxi.core.models import WorkdayOverride

D = dt.date
pytestmark = pytest.mark.django_db


def test_make_up_working_day_2025_sunday():
    assert D(2025, 9, 28).weekday() == 6
    assert workdays.is_workday(D(2025, 9, 28))


def test_national_day_2025_is_holiday():
    assert not workdays.is_workday(D(2025, 10, 1))
    assert not workdays.is_workday(D(2025, 10, 8))
    assert workdays.is_workday(D(2025, 10, 11))  # Saturday make-up day


def test_add_workdays_over_spring_festival_2026():
    # 2026 Spring Festival: 15–23 Feb off; 14 Feb (Sat) and 28 Feb (Sat) are make-up days.
    assert workdays.add_workdays(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert workdays.add_workdays(D(2026, 2, 14), 1) == D(2026, 2, 24)
    assert workdays.workdays_between(D(2026, 2, 14), D(2026, 2, 24)) == 1


def test_override_and_unknown_year_fallback():
    WorkdayOverride.objects.create(date=D(2026, 3, 2), is_workday=False, note="company day off")
    assert not workdays.is_workday(D(2026, 3, 2))
    far = D(2031, 6, 2)  # a Monday, beyond the package's data
    assert not workdays.known_year(2031)
    assert workdays.is_workday(far)
    assert 2031 in workdays.unknown_years(D(2031, 1, 5))
