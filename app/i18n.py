"""Translation catalogue (Indonesian default, English) and the Indonesian way of writing dates and numbers."""

from __future__ import annotations

import contextvars
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from gettext import c2py
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_format_date
from babel.dates import format_datetime as _babel_format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
WIB = ZoneInfo("Asia/Jakarta")
TZ_ABBREVIATIONS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}

_locale: contextvars.ContextVar[str] = contextvars.ContextVar("sinergi_locale", default=DEFAULT_LOCALE)


@cache
def catalogue(locale: str) -> Translations:
    """Read from the .po file itself, so no compile step stands between an edit and the app."""
    path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    translations = Translations()
    if path.exists():
        with path.open("rb") as fh:
            cat = read_po(fh, locale=locale)
        for message in cat:
            if message.id and message.string and not message.fuzzy:
                if isinstance(message.id, tuple):
                    for i, form in enumerate(message.string):
                        translations._catalog[(message.id[0], i)] = form
                else:
                    translations._catalog[message.id] = message.string
        translations.plural = c2py(cat.plural_expr)
    return translations


def set_locale(locale: str) -> contextvars.Token[str]:
    return _locale.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def get_locale() -> str:
    return _locale.get()


def reset_locale(token: contextvars.Token[str]) -> None:
    _locale.reset(token)


def gettext(message: str, **params: object) -> str:
    text = catalogue(get_locale()).ugettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = catalogue(get_locale()).ungettext(singular, plural, n)
    params.setdefault("num", n)
    return text % params


_ = gettext


def lazy(message: str) -> str:
    """Marks a string for extraction where it is defined; it is translated where it is shown."""
    return message


def negotiate(accept_language: str | None) -> str | None:
    if not accept_language:
        return None
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()
        base = tag.split("-")[0]
        if base in LOCALES:
            return base
    return None


def format_number(value: Decimal | float | int | str, digits: int = 2) -> str:
    """1234.5 -> '1.234,5' in Indonesian; at most `digits` decimals, trailing zeros dropped.
    Decimal text as stored ("3.5", a rubric score) is read exactly; text that is no number stays as it is."""
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return value
        if not number.is_finite():
            return value
        value = number
    if isinstance(value, Decimal):
        value = value.quantize(Decimal(1).scaleb(-digits))
    return format_decimal(value, format=f"#,##0.{'#' * digits}", locale=get_locale())


def format_score(value: Decimal | float | int | str) -> str:
    """A score with exactly two decimals, so that a column of scores lines up: '1.234,50', '99,08'."""
    number = Decimal(str(value)).quantize(Decimal("0.01"))
    return format_decimal(number, format="#,##0.00", locale=get_locale())


# Thousands grouped by threes: "1.234.567" (Indonesian) or "1,234,567" (English), nothing else.
_GROUPED = {sep: re.compile(rf"^[+-]?\d{{1,3}}(?:{re.escape(sep)}\d{{3}})+$") for sep in ".,"}


def parse_number(value: object, *, localised: bool = True) -> Decimal | None:
    """The exact, finite number `value` stands for, or None when it is not one; the inverse of
    `format_number`.

    localised=True reads what a person typed into a form, in either notation: "1.234,5" and "1,5"
    (Indonesian: dots group thousands, the comma is the decimal sign) or "1,234.5" and "1.5". With both
    signs the last one is the decimal sign; a lone comma is a decimal comma; a lone dot is a decimal point
    ("0.3" has always meant three tenths on these forms), several dots group thousands ("1.234.567").
    Spaces are ignored.

    localised=False reads what a program sent (the JSON API): a number, or text in plain notation
    ("12.5", "-3", "1E+3"); a comma is no decimal sign there, and true/false are no numbers.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # the shortest text that reads back as the same float
    elif isinstance(value, str):
        text = value.strip()
        if localised:
            text = _plain_notation(text.replace(" ", "").replace("\u00a0", ""))
            if text is None:
                return None
        elif "," in text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


def _plain_notation(text: str) -> str | None:
    """A typed number rewritten with a decimal point and no grouping, or None when its signs do not fit."""
    commas, dots = text.count(","), text.count(".")
    if commas and dots:
        decimal, group = (",", ".") if text.rfind(",") > text.rfind(".") else (".", ",")
        whole, _sign, fraction = text.rpartition(decimal)
        if not _GROUPED[group].match(whole) and group in whole:
            return None
        if group in fraction:
            return None
        return whole.replace(group, "") + "." + fraction
    if commas:
        return text.replace(",", ".") if commas == 1 else None
    if dots > 1:
        return text.replace(".", "") if _GROUPED["."].match(text) else None
    return text


def format_datetime(value: datetime | None, timezone: str = "Asia/Jakarta") -> str:
    """'14 Februari 2024, 07.30 WIB' in Indonesian; 'February 14, 2024, 07:30 WIB' in English."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    tz = ZoneInfo(timezone)
    abbreviation = TZ_ABBREVIATIONS.get(timezone, timezone)
    if get_locale() == "id":
        text = _babel_format_datetime(value, "d MMMM y, HH.mm", tzinfo=tz, locale="id")
    else:
        text = _babel_format_datetime(value, "d MMMM y, HH:mm", tzinfo=tz, locale="en")
    return f"{text} {abbreviation}"


def format_date(value: date | None) -> str:
    if value is None:
        return ""
    return _babel_format_date(value, "d MMMM y", locale=get_locale())


def format_short_date(value: date) -> str:
    """'5 Okt' in Indonesian, '5 Oct' in English: a date on a chart's axis."""
    return _babel_format_date(value, "d MMM", locale=get_locale())
