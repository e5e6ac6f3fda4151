"""Personnummer validation and normalisation (chatserver/identity/personnummer.py).

The numbers are Skatteverket's published test numbers (19121212-1212) and
numbers built with a correct check digit; none belongs to a real person.
"""

from __future__ import annotations

from datetime import date

import pytest

from chatserver.identity.personnummer import InvalidPersonnummer, Personnummer, parse

TODAY = date(2026, 12, 2)


def pnr(text: str) -> Personnummer:
    return parse(text, today=TODAY)


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("19121212-1212", "191212121212"),
        ("191212121212", "191212121212"),
        ("  19121212-1212 ", "191212121212"),
        ("121212+1212", "191212121212"),  # '+': a hundred years or older
        ("121212-1212", "201212121212"),
        ("1212121212", "201212121212"),
        ("20121212-1212", "201212121212"),
        ("201212121212", "201212121212"),
        ("811228-9874", "198112289874"),
        ("000229-0021", "200002290021"),  # 29 February of a leap year
        ("18121212-1212", "181212121212"),
    ],
)
def test_accepted_forms_normalise_to_twelve_digits(text: str, digits: str) -> None:
    """Every written form gives the 12-digit YYYYMMDDNNNN form."""
    assert pnr(text).digits == digits


def test_value_fields() -> None:
    """The value holds the birth date, not a samordningsnummer, and the age on a day."""
    value = pnr("19121212-1212")
    assert value == Personnummer("191212121212", coordination=False, birth_date=date(1912, 12, 12))
    assert value.age_on(date(2026, 12, 11)) == 113
    assert value.age_on(date(2026, 12, 12)) == 114


def test_samordningsnummer_is_day_plus_sixty() -> None:
    """A samordningsnummer is recognised; its birth date has the 60 taken off."""
    value = pnr("701063-2391")
    assert (value.digits, value.coordination) == ("197010632391", True)
    assert value.birth_date == date(1970, 10, 3)
    assert pnr("19701063-2391") == value


def test_short_form_century_from_the_full_birth_date() -> None:
    """Without a century, a birth date later this year than today is a century earlier."""
    assert pnr("261202-1234").birth_date == date(2026, 12, 2)  # born today
    assert pnr("261231-1239").birth_date == date(1926, 12, 31)
    assert pnr("261262-1231").birth_date == date(2026, 12, 2)  # samordningsnummer


def test_age_on_leap_day_birthday() -> None:
    """Born on 29 February: a year older on 1 March of a common year."""
    value = pnr("20000229-0021")
    assert value.age_on(date(2026, 2, 28)) == 25
    assert value.age_on(date(2026, 3, 1)) == 26


@pytest.mark.parametrize(
    "text",
    [
        "19121212-1213",  # wrong check digit
        "121212-1213",
        "19121232-1212",  # no 32nd day
        "19121312-1212",  # no 13th month
        "010229-0012",  # 2001 was not a leap year
        "19900101-0000",  # serial 000 is never issued
        "17121212-1212",  # no such birth century
        "1912121212",  # 10 digits read as YYMMDDNNNN: wrong check digit
        "19121212-121",
        "19121212/1212",
        "abcdefgh-ijkl",
        "",
        "19121212-12120",
        "١٩١٢١٢١٢-١٢١٢",  # Arabic-Indic digits: ASCII only
    ],
)
def test_invalid_numbers_refused(text: str) -> None:
    """Wrong check digits, impossible dates and malformed text raise InvalidPersonnummer."""
    with pytest.raises(InvalidPersonnummer):
        pnr(text)


def test_error_never_repeats_the_input() -> None:
    """The error message does not quote the (possibly real) number."""
    with pytest.raises(InvalidPersonnummer) as caught:
        pnr("19121212-1213")
    assert "1213" not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ is True


def test_masked_and_formatted() -> None:
    """Display forms: masked for staff lists and logs, hyphenated for the patient."""
    value = pnr("191212121212")
    assert value.masked == "19121212-****"
    assert value.formatted == "19121212-1212"


def test_repr_and_str_do_not_show_the_digits() -> None:
    """A value that slips into a log line or traceback shows only the masked form."""
    value = pnr("19121212-1212")
    assert str(value) == "19121212-****"
    assert repr(value) == "Personnummer('19121212-****')"
    assert f"{value}" == "19121212-****"


def test_default_today_is_the_current_date() -> None:
    """Without ``today`` the short form is resolved against the current date."""
    assert parse("121212-1212").digits == "201212121212"
