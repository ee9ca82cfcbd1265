"""The learner's time zone: IANA names checked against zoneinfo."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from db.errors import BadUserInput

DEFAULT_TIMEZONE = "UTC"


def check_timezone(name: str) -> str:
    """The IANA name as given if zoneinfo knows it, else BAD_USER_INPUT."""
    cleaned = name.strip()
    # available_timezones() excludes paths and odd files that ZoneInfo() would open.
    if cleaned not in available_timezones() and cleaned != "UTC":
        raise BadUserInput(
            f"{name!r} is not an IANA time zone name such as 'Europe/Paris'", field="timezone"
        )
    try:
        ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise BadUserInput(f"{name!r} is not a known time zone", field="timezone") from error
    return cleaned


def user_zone(name: str | None) -> ZoneInfo:
    """The zone of a stored name; UTC for none or a name the system no longer knows."""
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def seconds_to_midnight(zone: ZoneInfo, now: datetime) -> int:
    """Whole seconds from `now` to the next midnight in `zone` (at least 1): when what
    counts per local day (the token budget) renews."""
    local_now = now.astimezone(zone)
    midnight = datetime.combine(local_now.date() + timedelta(days=1), datetime.min.time(), zone)
    return max(1, int((midnight - local_now).total_seconds()) + 1)
