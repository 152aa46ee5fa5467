"""Keep the Korean catalog in step with the code: `.venv/bin/python scripts/messages.py`.

Extracts every message marked with _(), N_() or ngettext() in app.py, pages/ and lib/ (Babel), adds the new
ones to locales/ko/LC_MESSAGES/messages.po (untranslated), drops the ones no longer in the code, and lists the
messages still without a Korean translation. Translate those in the .po (any PO editor, or by hand), or list
them in a JSON file ({"English message": "한국어 번역", ...}; a plural: {"singular": ["번역"]}) and pass it with
`--fill FILE.json`: several people translating at once each keep their own file, and each run holds a lock on the
.po while it reads and writes it. The app compiles the .mo itself (lib/i18n.py). `--check` changes nothing and
exits 1 when the .po is out of step.
"""

from __future__ import annotations

import argparse
import fcntl
import io
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from babel.messages.catalog import Catalog  # noqa: E402
from babel.messages.pofile import read_po, write_po  # noqa: E402

from lib.i18n import BABEL_LOCALES, DOMAIN, extract_messages, po_path  # noqa: E402

LANGUAGES = ("ko",)
HEADER = """\
# The app's messages in Korean (lib/i18n.py). Messages are added and removed by scripts/messages.py;
# translations are written here. Keep each {placeholder} of the English in the translation."""  # every language but English, which the code is written in


def render(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    # No line numbers: a message moving inside its file changes nothing here (fewer merge conflicts).
    write_po(out, catalog, width=116, sort_by_file=True, include_lineno=False, ignore_obsolete=True,
             include_previous=False)
    return out.getvalue()


def updated(lang: str, template: Catalog) -> tuple[Catalog, bytes]:
    path = po_path(lang)
    if path.exists():
        with path.open("rb") as f:
            catalog = read_po(f, locale=BABEL_LOCALES[lang], domain=DOMAIN)
    else:
        catalog = Catalog(locale=BABEL_LOCALES[lang], domain=DOMAIN, project=template.project)
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False, update_creation_date=False)
    catalog.obsolete.clear()
    catalog.header_comment = HEADER
    catalog.fuzzy = False
    catalog.project, catalog.version = "Bedrock Image Workshop", "1"
    catalog.last_translator, catalog.language_team = "Bedrock Image Workshop", "Korean"
    catalog.msgid_bugs_address = "the project's issues"
    catalog.revision_date = catalog.creation_date  # no date that changes on every run (merge conflicts)
    return catalog, render(catalog)


def missing(catalog: Catalog) -> list[str]:
    return [m.id if isinstance(m.id, str) else m.id[0] for m in catalog
            if m.id and (m.fuzzy or not (all(m.string) if isinstance(m.string, (list, tuple)) else m.string))]


def fill(catalog: Catalog, translations: dict[str, str | list[str]]) -> list[str]:
    """Write `translations` (English id → Korean) into `catalog`; returns the ids it does not hold."""
    unknown = []
    for msgid, text in translations.items():
        message = catalog.get(msgid)
        if message is None:
            unknown.append(msgid)
        elif isinstance(message.id, (list, tuple)):
            forms = list(text) if isinstance(text, (list, tuple)) else [text]
            message.string = tuple(forms + [forms[-1]] * (catalog.num_plurals - len(forms)))[:catalog.num_plurals]
        else:
            message.string = text[0] if isinstance(text, (list, tuple)) else text
    return unknown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when the .po is out of step")
    parser.add_argument("--fill", type=Path, action="append", default=[],
                        help="a JSON file of translations (English message → Korean) to write into the .po")
    args = parser.parse_args()
    template = extract_messages(ROOT)
    with (ROOT / "locales" / ".messages.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one reader-writer of the .po at a time
        return run(template, args)


def run(template: Catalog, args: argparse.Namespace) -> int:
    status = 0
    for lang in LANGUAGES:
        path = po_path(lang)
        catalog, text = updated(lang, template)
        for source in args.fill:
            for msgid in fill(catalog, json.loads(source.read_text(encoding="utf-8"))):
                print(f"  not in the code (left out): {msgid}")
            text = render(catalog)
        current = path.read_bytes() if path.exists() else b""
        untranslated = missing(catalog)
        if args.check:
            if text != current:
                print(f"{path.relative_to(ROOT)} is out of step with the code: run scripts/messages.py")
                status = 1
        elif text != current:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text)
            print(f"updated {path.relative_to(ROOT)}")
        print(f"{lang}: {len(template)} messages, {len(untranslated)} without a translation")
        for message in untranslated:
            print(f"  - {message}")
        status = status or (1 if untranslated else 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
