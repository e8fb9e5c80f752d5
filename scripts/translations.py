"""Keep the message catalogs in step with the code.

    python scripts/translations.py extract   # code + templates -> messages.pot -> ja messages.po
    python scripts/translations.py compile   # messages.po -> messages.mo (at set-up; not committed)
    python scripts/translations.py check     # list msgids without a Japanese translation

`extract` keeps every existing translation: new msgids arrive empty, changed ones arrive
fuzzy with the old text as a suggestion (fix it and delete the `#, fuzzy` line), removed
ones stay as obsolete `#~` entries and are reused if the msgid comes back. Running it again
without code changes leaves both files as they are.
"""

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
MAPPING = ROOT / "babel.cfg"
TRANSLATIONS = ROOT / "oms" / "translations"
POT = TRANSLATIONS / "messages.pot"
LOCALES = ("ja",)
# In addition to babel's defaults (_, gettext, ngettext, pgettext, ...).
KEYWORDS = ("_l", "lazy_gettext", "lazy_ngettext:1,2", "lazy_pgettext:1c,2")


def _pybabel(*args: str) -> None:
    status = CommandLineInterface().run(["pybabel", "--quiet", *args])
    if status:
        raise SystemExit(f"pybabel {args[0]} failed ({status})")


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def extract_pot(output: Path) -> None:
    """Write every translatable string of the code and templates to a .pot file."""
    keywords = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    # From the repository root, so location comments are repository paths.
    with contextlib.chdir(ROOT):
        _pybabel(
            "extract", "-F", str(MAPPING), *keywords, "--project", "OMS",
            "--add-location", "file", "--sort-output", "--no-wrap",
            "--ignore-dirs", ".* _* node_modules instance tests bench migrations",
            "-o", str(output), ".",
        )


def _without_date(path: Path) -> str:
    if not path.exists():
        return ""
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith('"POT-Creation-Date:'))


def extract() -> None:
    """Refresh messages.pot (only if the strings changed) and merge it into each catalog."""
    TRANSLATIONS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "messages.pot"
        extract_pot(fresh)
        if _without_date(fresh) != _without_date(POT):
            POT.write_bytes(fresh.read_bytes())
    for locale in LOCALES:
        if po_path(locale).exists():
            update_catalog(locale)
        else:
            _pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", locale, "--no-wrap")


def update_catalog(locale: str) -> None:
    """`pybabel update`, except that obsolete translations are used again.

    A msgid that leaves the code keeps its translation as an obsolete `#~` entry; when it
    comes back (a template moved, a string restored) the translation is reused instead of
    starting empty. Translations can also be written ahead this way.
    """
    po = po_path(locale)
    catalog = read_catalog(po, locale)
    for message in catalog.obsolete.values():
        if catalog.get(message.id, message.context) is None:
            catalog[message.id] = message
    catalog.obsolete = {}
    catalog.update(read_catalog(POT), update_creation_date=False)
    fd, tmp = tempfile.mkstemp(dir=po.parent, suffix=".po.tmp")
    with os.fdopen(fd, "wb") as f:
        write_po(f, catalog, width=0)
    os.replace(tmp, po)


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def untranslated(template: Catalog, catalog: Catalog) -> list[str]:
    """Msgids of the template that the catalog leaves empty or fuzzy."""
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, message.context)
        strings = found.string if found else ""
        values = strings if isinstance(strings, tuple | list) else (strings,)
        if found is None or found.fuzzy or not all(values):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def catalog_errors(catalog: Catalog) -> list[str]:
    """Problems that would break rendering, e.g. placeholders that differ from the msgid."""
    return [
        f"{message.id!r}: {error}"
        for message, errors in catalog.check()
        for error in errors
    ]


def compile_catalogs() -> None:
    """Compile each .po to .mo; written atomically so parallel test workers never read half."""
    for locale in LOCALES:
        po = po_path(locale)
        catalog = read_catalog(po, locale)
        errors = catalog_errors(catalog)
        if errors:
            raise SystemExit(f"{po}:\n  " + "\n  ".join(errors))
        mo = po.with_suffix(".mo")
        fd, tmp = tempfile.mkstemp(dir=mo.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as f:
            write_mo(f, catalog)  # fuzzy entries are left out, as pybabel compile does
        os.replace(tmp, mo)


def check() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        extract_pot(pot)
        template = read_catalog(pot)
    status = 0
    for locale in LOCALES:
        missing = untranslated(template, read_catalog(po_path(locale), locale))
        for msgid in missing:
            print(f"{locale}: {msgid}")
        status = status or bool(missing)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("extract", "compile", "check"))
    command = parser.parse_args(argv).command
    if command == "extract":
        extract()
    elif command == "compile":
        compile_catalogs()
    else:
        return check()
    return 0


if __name__ == "__main__":
    sys.exit(main())
