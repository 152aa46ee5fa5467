"""Every word in two languages: English and Korean through one gettext catalog (Babel).

- `_("…")` and `ngettext("…", "…", n)` translate into the CURRENT language; `N_("…")` only marks text that is
  translated later (module constants, catalog rows: `_(CONSTANT)` where it is shown).
- Placeholders are named and filled after translating: `_("{count} images").format(count=n)`; a sentence is
  never built by concatenating pieces (Korean puts them in another order).
- The current language is a ContextVar: each Streamlit script run (a thread of its session) and each background
  job (lib/jobs.py sets the submitting session's language in the worker) has its own, so two sessions in one
  process never see each other's language. Where none is set, an optional source (lib/ui/language.py: the
  session's choice, for fragment reruns on a fresh thread) is asked, then the deployment's default
  (WORKSHOP_LANGUAGE), then English.
- The catalog is `locales/ko/LC_MESSAGES/messages.po`; its `.mo` is a build output, compiled here at import
  when missing or older than the `.po` (babel.messages, a few milliseconds), so a fresh clone just works.
- Numbers, prices (USD) and dates are formatted for the language with Babel (`format_number`, `format_usd`,
  `format_datetime`…).

Adding text: wrap it in `_()` (or `N_()`), then `scripts/messages.py` adds the new messages to the `.po`
and lists the ones still without a Korean translation (tests/test_i18n.py fails until each has one).
"""

from __future__ import annotations

import functools
import gettext
import io
import os
import tempfile
import threading
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterator

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.dates import format_time as _babel_time
from babel.core import Locale
from babel.numbers import NumberPattern, format_currency, format_decimal, parse_pattern

from lib.settings import load_settings

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"  # the language the code is written in: its messages need no catalog
# Each language named in itself (the sidebar switch), and the Babel locale its numbers and dates follow.
LANGUAGES: dict[str, str] = {"en": "English", "ko": "한국어"}
BABEL_LOCALES: dict[str, str] = {"en": "en_US", "ko": "ko_KR"}

_language: ContextVar[str | None] = ContextVar("workshop_language", default=None)
_source: Callable[[], str | None] | None = None


# --- which language -----------------------------------------------------------------------------------------


def supported(code: str | None) -> str | None:
    """The app's language for a locale or language code ("ko-KR", "ko_KR", "KO", "en-GB"), or None."""
    if not code:
        return None
    primary = code.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def deployment_language() -> str | None:
    """The deployment's default language (WORKSHOP_LANGUAGE), when it names one the app speaks."""
    return supported(load_settings().language)


def use_language_source(source: Callable[[], str | None] | None) -> None:
    """Where the language comes from on a thread that set none (lib/ui/language.py: the Streamlit session's
    choice, for a fragment rerun on a new script thread); None: only the deployment default."""
    global _source
    _source = source


def current_language() -> str:
    """This script run's or job's language: set for it, else the source's answer, else the deployment default."""
    found = _language.get()
    if found is None and _source is not None:
        found = supported(_source())
    return found or deployment_language() or DEFAULT_LANGUAGE


def set_language(code: str | None) -> Token:
    """Set the language of the current context (a script run, a job) and return the token to reset it."""
    return _language.set(supported(code) or DEFAULT_LANGUAGE)


@contextmanager
def language(code: str | None) -> Iterator[str]:
    """Run a block in a language and restore the previous one afterwards (a job's worker thread is reused)."""
    token = set_language(code)
    try:
        yield current_language()
    finally:
        _language.reset(token)


# --- the catalog --------------------------------------------------------------------------------------------


def po_path(lang: str) -> Path:
    return LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    return LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def compile_catalog(lang: str) -> bytes:
    """The `.mo` of a language compiled from its `.po` (fuzzy entries left out, as msgfmt does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path(lang).open("rb") as po:
        catalog = read_po(po, locale=BABEL_LOCALES[lang])
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _mo_bytes(lang: str) -> bytes | None:
    """The compiled catalog: the `.mo` when it is up to date, otherwise compiled now and written beside the
    `.po` (atomically: several servers may start at once). A read-only checkout compiles it in memory."""
    po, mo = po_path(lang), mo_path(lang)
    if not po.exists():
        return None
    try:
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            return mo.read_bytes()
    except OSError:
        pass
    data = compile_catalog(lang)
    try:
        fd, tmp = tempfile.mkstemp(dir=mo.parent, prefix=f".{DOMAIN}-", suffix=".mo")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, mo)
    except OSError:
        pass  # not writable here: the catalog still works, compiled in memory at each start
    return data


_catalogs: dict[str, gettext.NullTranslations] = {}
_catalogs_lock = threading.Lock()


def catalog(lang: str) -> gettext.NullTranslations:
    """The translations of a language (English: the messages as written)."""
    found = _catalogs.get(lang)
    if found is None:
        with _catalogs_lock:
            found = _catalogs.get(lang)
            if found is None:
                data = None if lang == DEFAULT_LANGUAGE else _mo_bytes(lang)
                found = gettext.GNUTranslations(io.BytesIO(data)) if data else gettext.NullTranslations()
                _catalogs[lang] = found
    return found


def reload_catalogs() -> None:
    """Read the catalogs again (after the `.po` changed, in a long-running process or a test)."""
    with _catalogs_lock:
        _catalogs.clear()


for _code in LANGUAGES:  # at import: a missing or stale .mo is compiled now, not in the middle of a page
    catalog(_code)


# --- translating --------------------------------------------------------------------------------------------


def _(message: str) -> str:
    """`message` in the current language."""
    return catalog(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for `n` in the current language (Korean has one form for every number)."""
    return catalog(current_language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark `message` for the catalog without translating it now: it is translated where it is shown."""
    return message


def translate(message: str, lang: str) -> str:
    """`message` in a given language, whatever the current one (e.g. lab 8's prompt sent in Korean)."""
    return catalog(supported(lang) or DEFAULT_LANGUAGE).gettext(message)


# --- formatting for the language ----------------------------------------------------------------------------


def babel_locale(lang: str | None = None) -> str:
    return BABEL_LOCALES[supported(lang) or current_language()]


@functools.lru_cache(maxsize=None)
def _locale(name: str) -> Locale:
    """Babel's locale object, parsed once: parsing it for every number shown was ~3% of a lab's script run."""
    return Locale.parse(name)


@functools.lru_cache(maxsize=64)
def _pattern(pattern: str) -> NumberPattern:
    return parse_pattern(pattern)


def format_number(value: float, digits: int | None = None) -> str:
    """A number with the language's grouping; `digits` fixes the decimals (1234.5, 1 → "1,234.5")."""
    pattern = None if digits is None else _pattern("#,##0" + ("." + "0" * digits if digits > 0 else ""))
    return format_decimal(value, format=pattern, locale=_locale(babel_locale()))


def format_usd(value: float, digits: int = 3) -> str:
    """A price in US dollars with `digits` decimals ("$0.040"; Korean: "US$0.040")."""
    return _usd(value, digits, babel_locale())


@functools.lru_cache(maxsize=4096)
def _usd(value: float, digits: int, locale: str) -> str:
    """Babel's currency formatting, once per price and language: a page shows the same few prices on every run,
    and formatting one took longer than the rest of the sidebar's totals."""
    pattern = _pattern("¤#,##0" + ("." + "0" * digits if digits > 0 else ""))
    return format_currency(value, "USD", format=pattern, currency_digits=False, locale=_locale(locale))


def format_datetime(value: datetime | float, width: str = "short") -> str:
    """A moment (a datetime or a Unix time, shown in the server's local time) for the language."""
    moment = datetime.fromtimestamp(value) if isinstance(value, (int, float)) else value
    return _babel_datetime(moment, width, locale=babel_locale())


def format_date(value: date | datetime, width: str = "medium") -> str:
    return _babel_date(value, width, locale=babel_locale())


def format_time(value: datetime | float, width: str = "short") -> str:
    """A time of day ("2:05 PM"; Korean: "오후 2:05")."""
    moment = datetime.fromtimestamp(value) if isinstance(value, (int, float)) else value
    return _babel_time(moment, width, locale=babel_locale())


def format_seconds(seconds: float) -> str:
    """A duration as the app shows it: "4.2 s" / "4.2초"."""
    return _("{seconds} s").format(seconds=format_number(seconds, 1))


# --- the catalog's upkeep (scripts/messages.py, tests/test_i18n.py) -----------------------------------------

KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}  # what marks a message in the code


def source_files(root: Path | None = None) -> list[Path]:
    """The files whose messages the catalog holds: app.py, pages/ and lib/."""
    base = root or LOCALES_DIR.parent
    return [base / "app.py", *sorted((base / "pages").glob("*.py")), *sorted((base / "lib").rglob("*.py"))]


def extract_messages(root: Path | None = None):
    """A Babel catalog (template) of every message marked in the code, with where each is used."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file

    base = root or LOCALES_DIR.parent
    template = Catalog(project="Bedrock Image Workshop", domain=DOMAIN)
    for path in source_files(base):
        rel = path.relative_to(base).as_posix()
        for lineno, message, comments, context in extract_from_file("python", str(path), keywords=KEYWORDS,
                                                                    comment_tags=("i18n:",), strip_comment_tags=True):
            template.add(message, None, [(rel, lineno)], auto_comments=comments, context=context)
    return template
