"""Email addresses as account names: one spelling per account, and no look-alikes.

An email is normalised with NFKC and case-folded (then NFKC again, as Unicode's
NFKC_Casefold does), so a fullwidth "ADA@EXAMPLE.COM" (U+FF21...), "ADA@example.com"
and "ada@example.com" are one account, and sign-in, its throttle and registration all
see the same string.

Normalisation cannot join look-alikes from different scripts: Cyrillic a (U+0430) is
a letter of its own. Registration therefore refuses, in the local part and in each
domain label separately:
- a mix of Latin, Cyrillic and Greek letters ("paypal" with a Cyrillic a): no real
  name needs two of these scripts in one word, and an impersonation does;
- a word written wholly in Cyrillic or Greek letters that each have a Latin twin
  ("scope" spelt with Cyrillic dze, es, o, er, ie), which reads exactly as a Latin
  address would.
Words in one script that do not pass for Latin (Cyrillic "ivan", whose i, v and n
have no Latin twin) are accepted. Domains normally arrive as IDNA ("xn--..."), which
is ASCII and passes. The twins are a subset of Unicode's confusables.txt.
"""

import unicodedata

from db.errors import BadUserInput
from db.validation import check_no_nul
from db.validation import clean_email as _check_format

_CONFUSABLE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK"})
# Case-folded Cyrillic and Greek letters that render like a Latin letter (a subset of
# Unicode's confusables.txt: the lower-case letters a case-folded address can hold).
_LATIN_TWINS = frozenset(
    "\u0430\u0435\u043e\u0440\u0441\u0443\u0445"  # Cyrillic a e o p c y x
    "\u0456\u0458\u0455\u0501\u051b\u051d\u04bb\u04cf"  # Cyrillic i j s d q w h l
    "\u03bf\u03b1\u03b9\u03ba\u03bd\u03c1\u03c4\u03c5\u03c7"  # Greek o a i k v p t u x
)


def normalise_email(value: str) -> str:
    """The one spelling of an address: NFKC, case-folded, trimmed."""
    folded = unicodedata.normalize("NFKC", value.strip()).casefold()
    return unicodedata.normalize("NFKC", folded).strip()


def clean_email(value: str) -> str:
    """A normalised address for a new account, or BAD_USER_INPUT."""
    email = _check_format(normalise_email(check_no_nul(value, field="email")))
    local_part, _, domain = email.rpartition("@")
    for word in (local_part, *domain.split(".")):
        _refuse_lookalikes(word)
    return email


def _scripts(word: str) -> set[str]:
    """The scripts of a word's letters, by the first word of their Unicode names."""
    return {
        unicodedata.name(character, "UNKNOWN").split()[0]
        for character in word
        if unicodedata.category(character).startswith("L")
    }


def _refuse_lookalikes(word: str) -> None:
    scripts = _scripts(word) & _CONFUSABLE_SCRIPTS
    if len(scripts) > 1:
        raise BadUserInput(
            "email mixes Latin, Cyrillic or Greek letters in one word; look-alike "
            "addresses are refused",
            field="email",
        )
    if scripts and scripts != {"LATIN"}:
        letters = [c for c in word if unicodedata.category(c).startswith("L")]
        if letters and all(letter in _LATIN_TWINS for letter in letters):
            raise BadUserInput(
                "email is written in letters that pass for Latin ones; look-alike "
                "addresses are refused",
                field="email",
            )
