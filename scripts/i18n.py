"""Keep the translation catalogues whole.

    python scripts/i18n.py update   # extract strings, merge into zh and en, fill en
    python scripts/i18n.py check    # fail if any string lacks a translation
    python scripts/i18n.py compile  # build the .mo files the app reads
    python scripts/i18n.py add-zh FILE.json  # update, then fill Chinese from {msgid: 中文}

Message ids are English. The Chinese catalogue is translated by hand; the
English one repeats each id (so it, too, is complete).
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
LOCALES = ("zh", "en")


def catalogue_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True,
                   cwd=ROOT)


def extract(target: Path = TEMPLATE) -> None:
    """Collect every translatable string of the code and templates into ``target``."""
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-k", "N_",
             "--sort-output", "--no-location", "--project", "competition",
             "-o", str(target), ".")


def update() -> None:
    extract()
    for locale in LOCALES:
        if catalogue_path(locale).exists():
            _pybabel("update", "-i", str(TEMPLATE), "-d", str(TRANSLATIONS), "-l", locale,
                     "--no-fuzzy-matching", "--ignore-obsolete")
        else:
            _pybabel("init", "-i", str(TEMPLATE), "-d", str(TRANSLATIONS), "-l", locale)
    path = catalogue_path("en")
    with path.open("rb") as f:
        catalogue = read_po(f)
    for message in catalogue:
        if message.id and not message.string:
            message.string = message.id
        elif isinstance(message.id, tuple) and not all(message.string):
            message.string = message.id
    with path.open("wb") as f:
        write_po(f, catalogue, sort_output=True, omit_header=False)


@contextmanager
def _locked():
    """Several people may update the catalogues at once; take turns."""
    with (TRANSLATIONS / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def add_chinese(path: Path) -> None:
    """Extract and merge, then translate the given ids into Chinese, and compile."""
    with path.open(encoding="utf-8") as f:
        translations = json.load(f)
    with _locked():
        update()
        po = catalogue_path("zh")
        with po.open("rb") as f:
            catalogue = read_po(f)
        for message in catalogue:
            # Chinese has one plural form: a plural message takes one translation.
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            if key in translations:
                text = translations[key]
                message.string = (text,) if isinstance(message.id, tuple) else text
                message.flags.discard("fuzzy")
        with po.open("wb") as f:
            write_po(f, catalogue, sort_output=True)
        compile_catalogues()


def missing(locale: str, template: Path = TEMPLATE) -> list[str]:
    """Message ids of ``template`` with no translation, or only a fuzzy one, in ``locale``."""
    with catalogue_path(locale).open("rb") as f:
        catalogue = read_po(f)
    with template.open("rb") as f:
        template = read_po(f)
    gaps = []
    for message in template:
        if not message.id:
            continue
        translated = catalogue.get(message.id, message.context)
        if translated is None or not translated.string or translated.fuzzy:
            gaps.append(message.id if isinstance(message.id, str) else message.id[0])
        elif isinstance(translated.string, tuple) and not all(translated.string):
            gaps.append(message.id[0])
    return gaps


def check() -> int:
    problems = 0
    for locale in LOCALES:
        for message_id in missing(locale):
            print(f"{locale}: no translation for {message_id!r}")
            problems += 1
    return 1 if problems else 0


def compile_catalogues() -> None:
    _pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        update()
    elif command == "add-zh":
        add_chinese(Path(sys.argv[2]))
    elif command == "compile":
        compile_catalogues()
    else:
        sys.exit(check())
