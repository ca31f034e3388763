"""Chinese resident ID numbers (公民身份号码) and masking of personal data.

The rules are those of GB 11643-1999 《公民身份号码》: 18 characters — a 6-digit
administrative region code (GB/T 2260), an 8-digit birth date YYYYMMDD, a
3-digit sequence code whose last digit is odd for men and even for women, and a
check character computed with ISO 7064:1983 MOD 11-2.

Masking follows docs/design.md section 5 (People): public pages and exports never
show a full ID number or phone, and names on public lists may be masked like
张*明. Every page, API answer and export that shows a person to someone other than
the competition's organizers masks them here: ``public_name`` for the names on public
result lists, ``shown_id_number`` and ``shown_phone`` for who may read them whole, and
the ``mask_*`` functions they use.

This module is pure: it imports neither Flask nor the database.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from datetime import date

# GB 11643-1999 (校验码): W_i = 2^(i-1) mod 11 for positions i = 18..2 counted from
# the right, i.e. the weights of the first 17 characters, left to right.
WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# The check character for each value of (weighted sum mod 11); 10 is written X.
CHECK_MAP = "10X98765432"
LENGTH = 18
REGION_LENGTH = 6

MALE = "M"
FEMALE = "F"


class IdNumberError(ValueError):
    """An ID number broke a rule of GB 11643-1999.

    ``code`` says which rule, so the UI can show a translated message:
    ``length``, ``characters``, ``birth_date`` or ``check_character``.
    """

    CODES = frozenset({"length", "characters", "birth_date", "check_character"})

    def __init__(self, code: str, message: str) -> None:
        if code not in self.CODES:
            raise ValueError(f"unknown ID number error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class IdNumberInfo:
    """What a valid ID number says: the number itself (with an upper-case X),
    the holder's birth date, and sex ("M" or "F")."""

    number: str
    birth_date: date
    sex: str

    @property
    def region(self) -> str:
        """The 6-digit administrative region code (GB/T 2260) where it was issued."""
        return self.number[:REGION_LENGTH]


def check_character(first17: str) -> str:
    """The check character (``0``–``9`` or ``X``) for the first 17 digits.

    GB 11643-1999 (校验码), ISO 7064 MOD 11-2 — the sum of each digit times its
    weight (7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2), taken mod 11, indexes the map
    1 0 X 9 8 7 6 5 4 3 2.
    """
    if len(first17) != LENGTH - 1 or not _is_ascii_digits(first17):
        raise ValueError("the check character needs exactly 17 digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_MAP[total % 11]


def parse_id_number(raw: str, *, today: date | None = None) -> IdNumberInfo:
    """Check an 18-character resident ID number and read its birth date and sex.

    Rules (GB 11643-1999): 17 digits then a digit or X; the birth date
    (characters 7–14, YYYYMMDD) is a real date and not after ``today``; the
    check character is right (ISO 7064 MOD 11-2). The 17th digit gives the sex:
    odd for men, even for women.

    Surrounding spaces are ignored, full-width characters (as typed with a
    Chinese input method) count as their ASCII forms, and a lower-case x is
    accepted and returned as X. A number that a spreadsheet turned into
    scientific notation (``4.21202E+17``) has lost digits and is refused.
    Raises ``IdNumberError``.
    """
    number = unicodedata.normalize("NFKC", raw).strip().upper()
    if not all(char.isascii() and (char.isdigit() or char == "X") for char in number):
        raise IdNumberError(
            "characters",
            "An ID number has only digits and, as its last character, X "
            "(check it was not turned into scientific notation by a spreadsheet).",
        )
    if len(number) != LENGTH:
        raise IdNumberError(
            "length",
            f"An ID number has {LENGTH} characters; this one has {len(number)}.",
        )
    first17 = number[:-1]
    if not _is_ascii_digits(first17):
        raise IdNumberError("characters", "Only the last character of an ID number may be X.")

    birth = _birth_date(number[6:14])
    if birth is None:
        raise IdNumberError(
            "birth_date", f"The birth date {number[6:14]} in the ID number is not a real date."
        )
    if birth > (today or date.today()):
        raise IdNumberError(
            "birth_date", f"The birth date {birth.isoformat()} in the ID number is in the future."
        )

    expected = check_character(first17)
    if number[-1] != expected:
        raise IdNumberError(
            "check_character",
            "The last character of the ID number does not match the others; "
            "one of the digits is probably mistyped.",
        )
    return IdNumberInfo(number=number, birth_date=birth, sex=sex_of_sequence(int(number[16])))


def sex_of_sequence(digit: int) -> str:
    """GB 11643-1999 (顺序码): an odd sequence code is a man's, an even one a woman's."""
    return MALE if digit % 2 == 1 else FEMALE


def make_id_number(region: str, birth: date, sequence: int, sex: str) -> str:
    """Build a valid ID number (for demo and test data).

    ``region`` is a 6-digit region code, e.g. 421202 (咸宁市咸安区) or 421281
    (赤壁市); ``sequence`` is the 3-digit sequence code 0–999, whose last digit
    must be odd for ``sex`` "M" and even for "F" (GB 11643-1999, 顺序码).
    The check character is appended by ``check_character``.
    """
    if len(region) != REGION_LENGTH or not _is_ascii_digits(region):
        raise ValueError("the region code has exactly 6 digits")
    if sex not in (MALE, FEMALE):
        raise ValueError('sex is "M" or "F"')
    if not 0 <= sequence <= 999:
        raise ValueError("the sequence code has 3 digits: 0 to 999")
    if sex_of_sequence(sequence % 10) != sex:
        raise ValueError("the sequence code's last digit is odd for men and even for women")
    if birth.year < 1000:
        raise ValueError("the birth year has 4 digits")
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def mask_id_number(number: str) -> str:
    """An ID number for public display: the first 4 and last 4 characters kept,
    e.g. ``4212**********1234`` (docs/design.md section 5). Shorter numbers (other ID
    types) keep less, so that at least a third is always hidden."""
    return _mask_middle(number.strip(), 4, 4)


def mask_phone(phone: str) -> str:
    """A phone number for public display, e.g. ``138****5678``: the first 3 and
    last 4 digits kept, and at least a third of it hidden."""
    return _mask_middle(phone.strip(), 3, 4)


def mask_name(name: str) -> str:
    """A name for a public list when the organizer chose masked names.

    The first and last characters are kept and the middle masked — 张*明, 欧**峰;
    a two-character name keeps only the first (张*); a one-character name is
    hidden entirely.
    """
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_but_last_four(number: str) -> str:
    """An ID number for checking the person in front of you (a certificate's holder): only
    its last four characters shown (``**************1234``), fewer for a short number, so
    that at least two thirds of it stay hidden."""
    number = (number or "").strip()
    shown = min(4, len(number) // 3)
    return "*" * (len(number) - shown) + number[len(number) - shown:]


# ``events.models.NameDisplay.FULL``: the organizer chose full names on public lists.
FULL_NAMES = "full"


def public_name(name: str, name_display: str) -> str:
    """A contestant's name on a public result list (the public page and API, the notice,
    the big screen): in full only when the competition chose full names
    (``Competition.name_display``), masked (``mask_name``) otherwise."""
    return name if name_display == FULL_NAMES else mask_name(name)


def shown_id_number(number: str, *, whole: bool) -> str:
    """An ID number as the reader may see it: whole for the competition's organizers
    (``whole``), else masked (``mask_id_number``), as its supervisors read it."""
    return number if whole else mask_id_number(number)


def shown_phone(phone: str | None, *, whole: bool) -> str:
    """A phone number as the reader may see it (``shown_id_number``); empty when none."""
    if not phone:
        return ""
    return phone if whole else mask_phone(phone)


def _mask_middle(text: str, head: int, tail: int) -> str:
    """Keep ``head`` leading and ``tail`` trailing characters, hiding the rest;
    keep fewer when needed so that at least a third of ``text`` is hidden."""
    must_hide = math.ceil(len(text) / 3)
    while head + tail > len(text) - must_hide:
        if tail >= head:
            tail -= 1
        else:
            head -= 1
    hidden = len(text) - head - tail
    return text[:head] + "*" * hidden + text[len(text) - tail:]


def _is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _birth_date(yyyymmdd: str) -> date | None:
    try:
        return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None
