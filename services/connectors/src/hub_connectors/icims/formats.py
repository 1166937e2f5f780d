"""iCIMS field formats: `yyyy-mm-dd hh:mm a` in UTC and the text-field length limits (ats-formats.md §4.3)."""

from __future__ import annotations

from datetime import UTC, datetime

RESULT_MAX = 128  # assessmentresult (TEXTFIELD)
NOTES_MAX = 192  # assessmentnotes (TEXTFIELD)
ELLIPSIS = "..."


def icims_datetime(moment: datetime) -> str:
    """`2026-05-03 02:30 PM`: UTC, 12-hour clock, zero-padded, AM/PM (no locale involved)."""
    if moment.tzinfo is None:
        raise ValueError("iCIMS dates are UTC: give an aware datetime")
    utc = moment.astimezone(UTC)
    hour = utc.hour % 12 or 12
    half = "AM" if utc.hour < 12 else "PM"
    return f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d} {hour:02d}:{utc.minute:02d} {half}"


def parse_icims_datetime(text: str) -> datetime:
    """The inverse of `icims_datetime` (minute precision)."""
    return datetime.strptime(text, "%Y-%m-%d %I:%M %p").replace(tzinfo=UTC)


def fit(text: str, limit: int) -> str:
    """`text` if it fits, else cut on a character boundary with an ellipsis, never longer than `limit`."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return text[:limit]
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS
