"""When a subscription posts: local wall-clock times in its time zone, turned into UTC slots.

A slot is the UTC instant of one scheduled post. It is computed from the local date and time
in the subscriber's zone each day, so 9:00 in New York is 13:00 UTC in summer and 14:00 UTC
in winter. A local time that does not exist on a spring-forward day (02:30) posts at the
first valid instant after the gap; one that occurs twice in the autumn posts once, the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CADENCES = ("daily", "weekdays", "weekly")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$", re.I)


@dataclass(frozen=True)
class Schedule:
    cadence: str  # one of CADENCES
    local_time: str  # "HH:MM", 24-hour
    timezone: str  # IANA name
    weekday: int | None = None  # 0 = Monday, for "weekly"

    def describe(self) -> str:
        days = {"daily": "every day", "weekdays": "Monday to Friday"}.get(self.cadence)
        if days is None:
            days = "every " + date(2024, 1, 1 + (self.weekday or 0)).strftime("%A")
        return f"{days} at {self.local_time} ({self.timezone})"

    def runs_on(self, day: date) -> bool:
        if self.cadence == "weekdays":
            return day.weekday() < 5
        if self.cadence == "weekly":
            return day.weekday() == self.weekday
        return True

    def slot_on(self, day: date) -> datetime:
        """The UTC instant of this schedule's local time on a local date."""
        zone = ZoneInfo(self.timezone)
        hours, minutes = (int(part) for part in self.local_time.split(":"))
        local = datetime.combine(day, time(hours, minutes), tzinfo=zone)
        instant = local.astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
            # In a spring-forward gap the wall clock skips this time (02:30 reads as 03:30):
            # post when the clock resumes, at the start of that hour.
            instant = instant.astimezone(zone).replace(minute=0).astimezone(UTC)
        return instant

    def slots_between(self, start: datetime, end: datetime) -> list[datetime]:
        """The slots in (start, end], oldest first."""
        zone = ZoneInfo(self.timezone)
        day = start.astimezone(zone).date() - timedelta(days=1)
        last = end.astimezone(zone).date() + timedelta(days=1)
        slots = []
        while day <= last:
            if self.runs_on(day):
                slot = self.slot_on(day)
                if start < slot <= end:
                    slots.append(slot)
            day += timedelta(days=1)
        return slots

    def next_slot(self, after: datetime) -> datetime:
        """The first slot after `after` (every cadence posts within a week)."""
        return self.slots_between(after, after + timedelta(days=8))[0]


def parse_time(text: str) -> str:
    """'9', '9:30', '09:00', '5pm', '5:30 pm' -> 'HH:MM'; ValueError saying why otherwise."""
    match = _TIME.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a time of day; write it like 9:00, 17:30 or 5pm")
    hours, minutes, half = int(match[1]), int(match[2] or 0), (match[3] or "").lower()
    if half:
        if not 1 <= hours <= 12:
            raise ValueError(f"{text!r} is not a time of day: with am/pm the hour is 1 to 12")
        hours = hours % 12 + (12 if half == "pm" else 0)
    if hours > 23 or minutes > 59:
        raise ValueError(
            f"{text!r} is not a time of day: hours go from 0 to 23 and minutes from 0 to 59, "
            "e.g. 9:00 or 17:30"
        )
    return f"{hours:02d}:{minutes:02d}"
