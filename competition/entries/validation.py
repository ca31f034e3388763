"""Checks of one registration: the person's data and the event's eligibility rules.

Pure: no Flask, no database. Used for one contestant typed in by an organizer,
for each row of an imported file, and for self-registration, so every path
applies the same rules and reports problems the same way (``Problem`` with a
``column`` naming the field). Sources: GB 11643-1999 for ID numbers (see
``idcard``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from competition.entries.idcard import IdNumberError, parse_id_number
from competition.errors import N_, Problem

# 中国大陆手机号: 11 digits starting 1[3-9]; landlines with area code are accepted
# too, since older workers in care homes and factories often give one.
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")

ID_MESSAGES = {
    "length": N_("The ID number must have 18 characters."),
    "characters": N_("The ID number may hold only digits and a final X; a spreadsheet may "
                     "have turned it into a number (format the column as text)."),
    "birth_date": N_("The birth date in the ID number is not a real date."),
    "check_character": N_("The last character of the ID number is wrong: check for a typo."),
}


@dataclass
class PersonData:
    """A contestant as typed or imported, before it is saved."""

    name: str
    id_number: str
    sex: str = ""  # "M"/"F"; empty: read it from the ID number
    phone: str = ""
    work_unit: str = ""
    current_grade: int | None = None
    current_certificate_no: str = ""
    birth_date: date | None = None  # filled from the ID number by ``check_person``


@dataclass(frozen=True)
class Eligibility:
    """An event's eligibility rules, read on the competition's first day."""

    on: date
    min_age: int | None = None
    max_age_male: int | None = None
    max_age_female: int | None = None


def age_on(birth: date, day: date) -> int:
    """Whole years of age on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def check_person(person: PersonData, *, today: date) -> list[Problem]:
    """Every problem of one person's data; fills in sex and birth date from the ID number."""
    problems: list[Problem] = []
    person.name = (person.name or "").strip()
    if not person.name:
        problems.append(Problem(N_("The name is missing."), column="name"))
    elif len(person.name) > 50:
        problems.append(Problem(N_("The name is too long."), column="name"))
    try:
        info = parse_id_number(person.id_number or "", today=today)
    except IdNumberError as error:
        problems.append(Problem(ID_MESSAGES[error.code], column="id_number"))
    else:
        person.id_number = info.number
        person.birth_date = info.birth_date
        if person.sex and person.sex != info.sex:
            problems.append(Problem(
                N_("The sex given does not agree with the ID number (its 17th digit)."),
                column="sex"))
        person.sex = info.sex
    person.phone = re.sub(r"[\s]", "", person.phone or "")
    if person.phone and not (MOBILE.match(person.phone) or LANDLINE.match(person.phone)):
        problems.append(Problem(N_("The phone number is not a valid mobile or landline "
                                   "number."), column="phone"))
    if person.current_grade is not None and not 1 <= person.current_grade <= 5:
        problems.append(Problem(N_("The current skill grade must be 1 to 5."),
                                column="current_grade"))
    return problems


def check_eligibility(person: PersonData, rules: Eligibility, division_kind: str,
                      *, is_student: bool | None = None) -> list[Problem]:
    """Age limits by sex on the competition's first day, and students only in 学生组.

    ``is_student`` is what the registration says (a column or a box); when it is
    unknown the division rule is not checked.
    """
    problems: list[Problem] = []
    if person.birth_date is not None:
        age = age_on(person.birth_date, rules.on)
        limit = rules.max_age_male if person.sex == "M" else rules.max_age_female
        if rules.min_age is not None and age < rules.min_age:
            problems.append(Problem(N_("Aged %(age)s on the first day, below the minimum "
                                       "age of %(limit)s."),
                                    {"age": age, "limit": rules.min_age}, column="id_number"))
        if limit is not None and age > limit:
            problems.append(Problem(N_("Aged %(age)s on the first day, above the limit of "
                                       "%(limit)s for this event."),
                                    {"age": age, "limit": limit}, column="id_number"))
    if is_student is True and division_kind != "student":
        problems.append(Problem(N_("Students compete in the students' division."),
                                column="division"))
    if is_student is False and division_kind == "student":
        problems.append(Problem(N_("Only students may enter the students' division."),
                                column="division"))
    return problems
