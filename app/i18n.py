"""Translation catalogue (Indonesian default, English) and the Indonesian way of writing dates and numbers."""

from __future__ import annotations

import contextvars
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from gettext import c2py
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.dates import format_datetime as _babel_format_datetime
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
    from babel.messages.pofile import read_po

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


def language_name(code: str) -> str:
    return Locale.parse(code).get_display_name(code) or code
