"""The translation catalogue: every message of app/ and templates/ is translated (id and en), placeholders
survive translation, dates and numbers are written the Indonesian way, and templates show no hard-coded text.

To update the catalogue after adding strings: `make translations`, then fill every empty msgstr in
app/translations/{id,en}/LC_MESSAGES/messages.po (these tests list what is missing).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages import frontend
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from jinja2 import Environment

from app import i18n

ROOT = Path(__file__).resolve().parents[2]
BABEL_CFG = ROOT / "app" / "translations" / "babel.cfg"
SOURCE_DIRS = ("app", "templates")  # the input paths of `make translations`, in that order
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy": None}  # pybabel's defaults plus `-k lazy`
EXTRACTORS = {"jinja2": "jinja2.ext:babel_extract"}
MARKERS = {"_", "gettext", "ngettext", "lazy"}


def _mapping() -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    parse = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping
    with BABEL_CFG.open() as fh:
        method_map, options_map = parse(fh, str(BABEL_CFG))
    return [(pattern, EXTRACTORS.get(method, method)) for pattern, method in method_map], options_map


@cache
def extracted() -> Catalog:
    """What `pybabel extract -F app/translations/babel.cfg -k lazy ... app templates` extracts."""
    method_map, options_map = _mapping()
    cat = Catalog()
    for source in SOURCE_DIRS:
        for filename, lineno, message, _comments, context in extract_from_dir(
            ROOT / source, method_map, options_map, keywords=KEYWORDS
        ):
            cat.add(message, None, [(f"{source}/{filename}", lineno)], context=context)
    return cat


@cache
def po(locale: str) -> Catalog:
    with (ROOT / "app" / "translations" / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


def messages(cat: Catalog) -> Iterator[Message]:
    return (m for m in cat if m.id)


def where(message: Message) -> str:
    return ", ".join(f"{path}:{line}" for path, line in message.locations[:3])


# --- (a) everything extracted is translated -------------------------------------------------------------


def test_babel_cfg_uses_the_jinja2_i18n_extension() -> None:
    method_map, options_map = _mapping()
    assert ("**.html", "jinja2.ext:babel_extract") in method_map
    assert options_map["**.html"]["extensions"] == "jinja2.ext.i18n"


def test_extraction_reaches_every_file_with_messages() -> None:
    """Guards the map itself: patterns are relative to each input directory, and a template that does not
    parse would otherwise yield nothing, silently."""
    marked = re.compile(r"(?<![\w.])(?:i18n\.)?(?:_|gettext|ngettext|lazy)\(\s*['\"]|\{%-?\s*trans\b")
    expected = {
        f"{source}/{path.relative_to(ROOT / source).as_posix()}"
        for source, glob in (("app", "*.py"), ("templates", "*.html"))
        for path in (ROOT / source).rglob(glob)
        if "__pycache__" not in path.parts and marked.search(path.read_text(encoding="utf-8"))
    }
    found = {path for m in messages(extracted()) for path, _ in m.locations}
    assert expected, "no marked strings found at all"
    assert sorted(expected - found) == [], "files with marked strings but nothing extracted"


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_message_is_translated(locale: str) -> None:
    cat = po(locale)
    problems = []
    for m in messages(extracted()):
        t = cat.get(m.id, context=m.context)
        label = f"{m.id!r} ({where(m)})"
        if t is None:
            problems.append(f"missing: {label}")
        elif t.fuzzy:
            problems.append(f"fuzzy: {label}")
        elif m.pluralizable != t.pluralizable:
            problems.append(f"singular/plural mismatch: {label}")
        elif m.pluralizable:
            forms = tuple(t.string or ())
            if len(forms) != cat.num_plurals or not all(forms):
                problems.append(f"needs {cat.num_plurals} non-empty plural form(s): {label}")
        elif not t.string:
            problems.append(f"untranslated: {label}")
    assert problems == [], f"{len(problems)} message(s) need a translation in {locale}:\n" + "\n".join(
        problems
    )


def test_indonesian_has_one_plural_form() -> None:
    assert po("id").num_plurals == 1
    assert po("en").num_plurals == 2


# --- (b) placeholders survive translation ---------------------------------------------------------------

PLACEHOLDER = re.compile(r"%\([^)]*\)[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsa]")


class _AnyParams(dict[str, int]):
    def __missing__(self, key: str) -> int:
        return 1


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text.replace("%%", "")))


def formats(text: str) -> bool:
    try:
        text % _AnyParams()
    except (TypeError, ValueError, KeyError):
        return False
    return True


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_translations_keep_their_placeholders(locale: str) -> None:
    problems = []
    for t in messages(po(locale)):
        ids = [str(i) for i in (t.id if isinstance(t.id, tuple) else (t.id,))]
        forms = [str(s) for s in (t.string if isinstance(t.string, tuple) else (t.string,)) if s]
        wanted: set[str] = set().union(*(placeholders(i) for i in ids))
        for form in forms:
            got = placeholders(form)
            # A plural form may drop %(num)s ("One activity"), but never bring a name the code does not pass.
            if (got != wanted and not t.pluralizable) or not got <= wanted:
                problems.append(f"{t.id!r}: {sorted(wanted)} became {sorted(got)} in {form!r}")
            elif all(formats(i) for i in ids) and not formats(form):
                problems.append(f"{t.id!r}: {form!r} is not a valid %-format string (write % as %%)")
        if t.pluralizable and forms and set().union(*(placeholders(f) for f in forms)) != wanted:
            problems.append(f"{t.id!r}: the plural forms together must use {sorted(wanted)}")
    assert problems == [], "\n".join(problems)


# --- (c) the Indonesian way of writing dates and numbers ------------------------------------------------


@pytest.fixture
def locale_of() -> Iterator[Callable[[str], None]]:
    tokens = []

    def use(locale: str) -> None:
        tokens.append(i18n.set_locale(locale))

    yield use
    for token in reversed(tokens):
        i18n._locale.reset(token)


def test_format_datetime_in_indonesian(locale_of: Callable[[str], None]) -> None:
    locale_of("id")
    assert i18n.format_datetime(datetime(2024, 2, 14, 0, 30, tzinfo=UTC)) == "14 Februari 2024, 07.30 WIB"


def test_format_number(locale_of: Callable[[str], None]) -> None:
    locale_of("id")
    assert i18n.format_number(1234.5) == "1.234,5"
    locale_of("en")
    assert i18n.format_number(1234.5) == "1,234.5"


def test_locale_is_reset_after_the_formatting_tests() -> None:
    assert i18n.get_locale() == i18n.DEFAULT_LOCALE


def test_app_uses_the_catalogue(locale_of: Callable[[str], None]) -> None:
    i18n.catalogue.cache_clear()
    locale_of("id")
    assert i18n._("Sign in") == "Masuk"
    assert i18n._("Page %(page)s of %(pages)s", page=2, pages=5) == "Halaman 2 dari 5"
    assert i18n.ngettext("%(num)s activity waiting", "%(num)s activities waiting", 3) == "3 kegiatan menunggu"
    locale_of("en")
    assert i18n._("Sign in") == "Sign in"
    assert i18n.ngettext("%(num)s activity waiting", "%(num)s activities waiting", 1) == "1 activity waiting"
    assert (
        i18n.ngettext("%(num)s activity waiting", "%(num)s activities waiting", 2) == "2 activities waiting"
    )


# --- extraction blind spots in Python -------------------------------------------------------------------


def _marker(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call) and node.args:
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
        if name in MARKERS:
            return name
    return None


def test_python_messages_are_extractable() -> None:
    """Babel only sees a literal first argument, and not a marker call nested in another marker call."""
    problems = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), rel)):
            name = _marker(node)
            if name is None or not isinstance(node, ast.Call):
                continue
            first = node.args[0]
            if isinstance(first, ast.JoinedStr | ast.BinOp):
                problems.append(f"{rel}:{node.lineno}: {name}() of a built string")
            for inner in ast.walk(first):
                if isinstance(inner, ast.Call) and _marker(inner) and isinstance(inner.args[0], ast.Constant):
                    problems.append(
                        f"{rel}:{inner.lineno}: {_marker(inner)}() nested in {name}() is not extracted"
                    )
    assert problems == [], "\n".join(problems)


# --- (d) no hard-coded visible text in templates --------------------------------------------------------

ALLOWED_WORDS = {
    "Sinergi",
    "NRP",
    "Polres",
    "Polda",
    "Polri",
    "Senkom",
    "Bhabinkamtibmas",
    "RW",
    "RT",
    "WIB",
    "WITA",
    "WIT",
    "EN",
    "ID",
    "htmx",
}
VISIBLE_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "label"}
WORD = re.compile(r"[A-Za-z]{2,}")


def template_text(env: Environment, source: str) -> str:
    """The template with every Jinja tag, expression and comment (and {% trans %} bodies) removed, lines
    kept where they were so that positions still point into the template."""
    out: list[str] = []
    line = 1
    in_trans = False
    after_block_begin = False
    for lineno, kind, value in env.lex(source):
        if kind == "whitespace":
            continue
        if kind == "block_begin":
            after_block_begin = True
            continue
        if after_block_begin and kind == "name":
            in_trans = {"trans": True, "endtrans": False}.get(value, in_trans)
        after_block_begin = False
        if kind != "data" or in_trans:
            continue
        if line < lineno:
            out.append("\n" * (lineno - line))
            line = lineno
        out.append(value)
        line += value.count("\n")
    return "".join(out)


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skip = 0

    def _check(self, text: str) -> None:
        if [w for w in WORD.findall(text) if w not in ALLOWED_WORDS]:
            line = self.getpos()[0] + text[: len(text) - len(text.lstrip())].count("\n")
            self.found.append((line, " ".join(text.split())))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            shown_value = tag == "input" and dict(attrs).get("type") in ("submit", "button", "reset")
            if value and (name in VISIBLE_ATTRIBUTES or (name == "value" and shown_value)):
                self._check(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._check(data)


def test_templates_have_no_untranslated_text() -> None:
    from app.main import make_environment

    env = make_environment()
    problems = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        parser = _VisibleText()
        parser.feed(template_text(env, path.read_text(encoding="utf-8")))
        parser.close()
        rel = path.relative_to(ROOT).as_posix()
        problems += [f"{rel}:{line}: {text!r}" for line, text in parser.found]
    assert problems == [], "text outside {{ _() }} / {% trans %}:\n" + "\n".join(problems)


def test_every_activity_type_of_the_catalogue_has_an_english_name() -> None:
    from app.competitions.catalogue import DEFAULT_CATALOGUE

    for entry in DEFAULT_CATALOGUE:
        assert entry.name_en.strip(), entry.code
        assert entry.name_en != entry.name, f"{entry.code}: the English name repeats the Indonesian one"
