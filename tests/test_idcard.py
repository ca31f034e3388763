"""Resident ID numbers (GB 11643-1999) and masking: pure rules, tested exhaustively."""

from __future__ import annotations

import string
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from competition.entries.idcard import (
    IdNumberError,
    IdNumberInfo,
    check_character,
    make_id_number,
    mask_id_number,
    mask_name,
    mask_phone,
    parse_id_number,
)

# (number, birth date, sex). The first two are the samples published with the
# standard and in the usual references; the others were built by
# make_id_number for 咸宁 region codes and checked by hand against the weights.
VALID = [
    ("11010519491231002X", date(1949, 12, 31), "F"),
    ("440524188001010014", date(1880, 1, 1), "M"),
    ("421202198503071230", date(1985, 3, 7), "M"),
    ("42128120040229123X", date(2004, 2, 29), "M"),
    ("421281200402291248", date(2004, 2, 29), "F"),
]

XIANNING_REGIONS = ["421202", "421221", "421222", "421223", "421224", "421281"]


def _with_check(first17: str) -> str:
    return first17 + check_character(first17)


def _error_code(raw: str, **kwargs) -> str:
    with pytest.raises(IdNumberError) as caught:
        parse_id_number(raw, **kwargs)
    return caught.value.code


# --- check character --------------------------------------------------------


@pytest.mark.parametrize(("number", "birth", "sex"), VALID)
def test_check_character_of_known_numbers(number, birth, sex):
    assert check_character(number[:17]) == number[17]


def test_check_character_by_hand():
    # 42120219850307123: weighted sum 4*7 + 2*9 + 1*10 + 2*5 + 0*8 + 2*4 + 1*2 + 9*1
    # + 8*6 + 5*3 + 0*7 + 3*9 + 0*10 + 7*5 + 1*8 + 2*4 + 3*2 = 232; 232 mod 11 = 1 → "0".
    assert check_character("42120219850307123") == "0"


@pytest.mark.parametrize("bad", ["", "4212021985030712", "421202198503071234", "4212021985O307123",
                                 "4212021985030712X"])
def test_check_character_needs_17_digits(bad):
    with pytest.raises(ValueError, match="17 digits"):
        check_character(bad)


def test_every_check_value_occurs():
    """Each of the 11 remainders maps to its own character of 1 0 X 9 8 7 6 5 4 3 2."""
    seen = {check_character(f"4212021985030712{d}") for d in range(10)}
    seen |= {check_character(f"4212021985030713{d}") for d in range(10)}
    assert seen == set("10X98765432")


# --- valid numbers ----------------------------------------------------------


@pytest.mark.parametrize(("number", "birth", "sex"), VALID)
def test_valid_numbers_parse(number, birth, sex):
    info = parse_id_number(number)
    assert info == IdNumberInfo(number=number, birth_date=birth, sex=sex)
    assert info.region == number[:6]


def test_lower_case_x_is_normalised():
    info = parse_id_number("11010519491231002x")
    assert info.number == "11010519491231002X"
    assert info.sex == "F"


def test_surrounding_spaces_are_ignored():
    assert parse_id_number("  440524188001010014\t").number == "440524188001010014"


def test_full_width_characters_count_as_ascii():
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "11010519491231002X")
    assert parse_id_number(full_width).number == "11010519491231002X"


def test_info_is_frozen():
    info = parse_id_number("440524188001010014")
    with pytest.raises(AttributeError):
        info.sex = "F"  # type: ignore[misc]


@pytest.mark.parametrize("digit", range(10))
def test_sex_comes_from_the_17th_digit(digit):
    number = _with_check(f"4212021990010112{digit}")
    assert parse_id_number(number).sex == ("M" if digit % 2 else "F")


# --- invalid numbers --------------------------------------------------------


@pytest.mark.parametrize(("number", "birth", "sex"), VALID)
def test_every_wrong_check_character_is_refused(number, birth, sex):
    for wrong in set("0123456789X") - {number[17]}:
        assert _error_code(number[:17] + wrong) == "check_character"


@pytest.mark.parametrize(("yyyymmdd", "why"), [
    ("19900230", "30 February"),
    ("19901301", "month 13"),
    ("19900001", "month 0"),
    ("19900100", "day 0"),
    ("19900431", "31 April"),
    ("19900132", "32 January"),
    ("20230229", "29 February in a common year"),
    ("19000229", "1900 is not a leap year"),
    ("00000101", "year 0"),
])
def test_impossible_birth_dates_are_refused(yyyymmdd, why):
    number = _with_check(f"421202{yyyymmdd}123")
    assert _error_code(number) == "birth_date", why


@pytest.mark.parametrize("yyyymmdd", ["20000229", "20240229", "19491231", "20260101"])
def test_real_birth_dates_are_accepted(yyyymmdd):
    number = _with_check(f"421202{yyyymmdd}123")
    assert parse_id_number(number).birth_date.strftime("%Y%m%d") == yyyymmdd


def test_birth_date_in_the_future_is_refused():
    today = date(2026, 11, 20)
    born_today = _with_check(f"421202{today:%Y%m%d}123")
    born_tomorrow = _with_check(f"421202{today + timedelta(days=1):%Y%m%d}123")
    assert parse_id_number(born_today, today=today).birth_date == today
    assert _error_code(born_tomorrow, today=today) == "birth_date"
    assert _error_code(_with_check("42120229990101123")) == "birth_date"


@pytest.mark.parametrize("raw", [
    "",
    "4212021985030712",  # 16 digits
    "42120219850307123",  # 17: the check character is missing
    "4212021985030712300",  # 19
    "421202850307123",  # a 15-digit first-generation number
    "X",
])
def test_wrong_length_is_refused(raw):
    assert _error_code(raw) == "length"


@pytest.mark.parametrize("raw", [
    "4.21202E+17",  # what a spreadsheet makes of a number typed as a number
    "4.21202198503071E+17",
    "42120219850307123O",  # letter O for zero
    "A21202198503071230",
    "421202-19850307-1230",
    "421202 198503071230",
    "42120219850307123Y",
    "4212021985030X1230",  # X anywhere but last
    "X21202198503071230",
    "４２１２０２１９８５０３０７１２３Ｏ",
])
def test_other_characters_are_refused(raw):
    assert _error_code(raw) == "characters"


def test_error_is_a_value_error_with_an_english_message():
    with pytest.raises(ValueError, match="18 characters") as caught:
        parse_id_number("123")
    assert isinstance(caught.value, IdNumberError)
    assert caught.value.code == "length"
    assert str(caught.value) == caught.value.message


def test_error_codes_are_a_closed_set():
    with pytest.raises(ValueError, match="unknown"):
        IdNumberError("spelling", "no such rule")


# --- building numbers -------------------------------------------------------


def test_make_id_number_for_xianning():
    number = make_id_number("421202", date(1985, 3, 7), 123, "M")
    assert number == "421202198503071230"
    assert parse_id_number(number) == IdNumberInfo(number, date(1985, 3, 7), "M")
    assert make_id_number("421281", date(2004, 2, 29), 123, "M") == "42128120040229123X"


def test_make_id_number_pads_the_sequence():
    number = make_id_number("421281", date(2004, 2, 29), 4, "F")
    assert number[14:17] == "004"
    assert parse_id_number(number).sex == "F"


@pytest.mark.parametrize(("region", "sequence", "sex", "message"), [
    ("42120", 123, "M", "6 digits"),
    ("4212021", 123, "M", "6 digits"),
    ("42120A", 123, "M", "6 digits"),
    ("421202", 124, "M", "odd for men"),
    ("421202", 123, "F", "odd for men"),
    ("421202", 1000, "M", "0 to 999"),
    ("421202", -1, "M", "0 to 999"),
    ("421202", 123, "male", '"M" or "F"'),
])
def test_make_id_number_refuses_bad_parts(region, sequence, sex, message):
    with pytest.raises(ValueError, match=message):
        make_id_number(region, date(1985, 3, 7), sequence, sex)


births = st.dates(min_value=date(1900, 1, 1), max_value=date.today())
regions = st.sampled_from(XIANNING_REGIONS) | st.text(string.digits, min_size=6, max_size=6)


@given(region=regions, birth=births, sequence=st.integers(0, 999))
def test_made_numbers_parse_back(region, birth, sequence):
    sex = "M" if sequence % 2 else "F"
    number = make_id_number(region, birth, sequence, sex)
    info = parse_id_number(number)
    assert info.number == number
    assert info.birth_date == birth
    assert info.sex == sex
    assert info.region == region


@given(region=regions, birth=births, sequence=st.integers(0, 999),
       position=st.integers(0, 16), shift=st.integers(1, 9))
def test_changing_any_one_digit_is_detected(region, birth, sequence, position, shift):
    """MOD 11-2 catches every single-digit error: each weight is non-zero mod 11."""
    number = make_id_number(region, birth, sequence, "M" if sequence % 2 else "F")
    changed = str((int(number[position]) + shift) % 10)
    mistyped = number[:position] + changed + number[position + 1:]
    with pytest.raises(IdNumberError) as caught:
        parse_id_number(mistyped)
    assert caught.value.code in {"birth_date", "check_character"}


@given(region=regions, birth=births, sequence=st.integers(0, 999), position=st.integers(0, 15))
def test_swapping_two_neighbouring_digits_is_detected(region, birth, sequence, position):
    """Neighbouring weights differ mod 11, so swapping two different digits is caught."""
    number = make_id_number(region, birth, sequence, "M" if sequence % 2 else "F")
    a, b = number[position], number[position + 1]
    swapped = number[:position] + b + a + number[position + 2:]
    if a == b:
        assert parse_id_number(swapped).number == number
        return
    with pytest.raises(IdNumberError) as caught:
        parse_id_number(swapped)
    assert caught.value.code in {"birth_date", "check_character"}


# --- masking ----------------------------------------------------------------


def test_mask_id_number_keeps_first_and_last_four():
    assert mask_id_number("421202198503071234") == "4212**********1234"
    assert mask_id_number("11010519491231002X") == "1101**********002X"


def test_mask_phone_keeps_first_three_and_last_four():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone(" 13812345678 ") == "138****5678"


@pytest.mark.parametrize(("name", "masked"), [
    ("张三明", "张*明"),
    ("张明", "张*"),
    ("欧阳晓峰", "欧**峰"),
    ("买买提·艾力", "买****力"),
    ("张", "*"),
    ("", ""),
])
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(("masker", "value", "masked"), [
    (mask_id_number, "E1234567", "E12***67"),  # a passport number: less is kept
    (mask_id_number, "", ""),
    (mask_phone, "0715-8123456", "071*****3456"),
    (mask_phone, "12345", "12**5"),
    (mask_phone, "1", "*"),
])
def test_short_values_keep_less(masker, value, masked):
    assert masker(value) == masked


@given(st.text(alphabet=string.digits + "X-", max_size=30))
def test_masking_keeps_the_length_and_hides_at_least_a_third(value):
    for masker in (mask_id_number, mask_phone):
        masked = masker(value)
        assert len(masked) == len(value)
        assert masked.count("*") * 3 >= len(value)
        kept = [i for i, char in enumerate(masked) if char != "*"]
        assert all(masked[i] == value[i] for i in kept)
