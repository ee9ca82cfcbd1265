"""Input rules shared by the data functions: trimming, lengths, formats."""

import re
from typing import Final

from db.errors import BadUserInput


class _Unchanged:
    """Marks an update argument the caller did not send (None means "clear it")."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Final = _Unchanged()

# Deliberately loose: one @, no spaces, a dot in the domain. Deliverability is
# the mail server's business; we only refuse what cannot be an address.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


def check_no_nul(value: str, *, field: str) -> str:
    """The value, unless it holds a NUL character (PostgreSQL text cannot store one)."""
    if "\x00" in value:
        raise BadUserInput(f"{field} must not contain NUL characters", field=field)
    return value


def clean_text(value: str, *, field: str, max_length: int, required: bool = True) -> str:
    """Trimmed text within a length; empty text is refused where the field is required."""
    cleaned = check_no_nul(value, field=field).strip()
    if required and not cleaned:
        raise BadUserInput(f"{field} must not be empty", field=field)
    if len(cleaned) > max_length:
        raise BadUserInput(f"{field} is longer than {max_length} characters", field=field)
    return cleaned


def clean_optional_text(value: str | None, *, field: str, max_length: int) -> str | None:
    """Like clean_text, but empty or missing text becomes None."""
    if value is None:
        return None
    cleaned = clean_text(value, field=field, max_length=max_length, required=False)
    return cleaned or None


def clean_email(value: str) -> str:
    """A lower-cased, trimmed email address, or BAD_USER_INPUT."""
    email = check_no_nul(value, field="email").strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise BadUserInput("email is not a valid address", field="email")
    return email


def check_password(value: str) -> str:
    """The password as given, if its length is acceptable."""
    if len(value) < MIN_PASSWORD_LENGTH:
        raise BadUserInput(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    if len(value) > MAX_PASSWORD_LENGTH:
        raise BadUserInput(
            f"password must have at most {MAX_PASSWORD_LENGTH} characters", field="password"
        )
    return value
