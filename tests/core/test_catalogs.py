"""The translation catalogs: every marked text is in them, Russian is complete, the .mo files are current."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

LOCALE = Path(settings.LOCALE_PATHS[0])
SOURCE = LOCALE.parent  # src/moorage: what `make messages` scans
LANGUAGES = [code for code, _name in settings.LANGUAGES]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|\{\w*\}")


def _po(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


def _mo(language: str) -> polib.MOFile:
    return polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))


def _translations(catalog: polib._BaseFile) -> dict[tuple[str, str | None], tuple[str, ...]]:
    """(msgid, context) → the translation(s), for entries that have one."""
    result = {}
    for entry in catalog:
        if entry.obsolete or not entry.msgid:
            continue
        if entry.msgid_plural:
            forms = tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
            if any(forms):
                result[(entry.msgid, entry.msgctxt)] = forms
        elif entry.msgstr:
            result[(entry.msgid, entry.msgctxt)] = (entry.msgstr,)
    return result


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    po = _po(language)
    nplurals = int(re.search(r"nplurals=(\d+)", po.metadata["Plural-Forms"]).group(1))
    assert nplurals == (4 if language == "ru" else 2)
    problems = []
    for entry in po:
        if entry.obsolete:
            problems.append(f"obsolete: {entry.msgid!r}")
        elif "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        elif entry.msgid_plural:
            forms = [entry.msgstr_plural.get(i, "") for i in range(nplurals)]
            if not all(forms):
                problems.append(f"plural form missing: {entry.msgid!r}")
        elif not entry.msgstr:
            problems.append(f"untranslated: {entry.msgid!r}")
    assert not problems, "\n".join(problems)
    assert not po.metadata_is_fuzzy


def test_russian_keeps_every_placeholder_of_the_english():
    """A translation that drops or renames %(name)s raises KeyError, or hides the value, at run time."""
    problems = []
    for entry in _po("ru"):
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        wanted = set().union(*(PLACEHOLDER.findall(s) for s in sources))
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            if set(PLACEHOLDER.findall(text)) != wanted and not (entry.msgid_plural and "%(" not in text):
                problems.append(f"{entry.msgid!r} → {text!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_is_the_current_po(language):
    """The .mo Django reads says what the .po says: recompile (make messages) after every .po change."""
    po, mo = _translations(_po(language)), _translations(_mo(language))
    stale = {key for key in po.keys() | mo.keys() if po.get(key) != mo.get(key)}
    assert not stale, f"{len(stale)} entries differ, e.g. {sorted(k[0] for k in stale)[:5]}"


def test_every_marked_text_of_the_source_is_in_the_catalogs(tmp_path, settings):
    """Run makemessages on a copy of the source: what it collects is exactly what the catalogs hold."""
    if shutil.which("xgettext") is None:
        pytest.skip("GNU gettext is not installed (make system-deps)")
    copy = tmp_path / "moorage"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("locale", "__pycache__", "migrations", "static"))
    (copy / "locale").mkdir()
    settings.LOCALE_PATHS = [str(copy / "locale")]
    cwd = Path.cwd()
    try:
        os.chdir(copy)
        call_command("makemessages", locale=["ru"], no_location=True, no_obsolete=True, verbosity=0)
    finally:
        os.chdir(cwd)
    collected = {
        (e.msgid, e.msgctxt, e.msgid_plural) for e in polib.pofile(str(copy / "locale/ru/LC_MESSAGES/django.po"))
    }
    for language in LANGUAGES:
        held = {(e.msgid, e.msgctxt, e.msgid_plural) for e in _po(language) if not e.obsolete}
        missing = sorted(m[0] for m in collected - held)
        extra = sorted(m[0] for m in held - collected)
        assert not missing, (
            f"{language}: marked in the source, missing from the catalog (make messages): {missing[:10]}"
        )
        assert not extra, f"{language}: in the catalog, no longer in the source (make messages): {extra[:10]}"


def test_a_russian_catalog_entry_is_used_at_run_time():
    from django.utils import translation

    with translation.override("ru"):
        assert translation.gettext("Dashboard") == "Главная"
        assert translation.ngettext("%(done)s order cancelled.", "%(done)s orders cancelled.", 3) % {"done": 3} == (
            "3 заказа отменены."
        )
        assert translation.ngettext("%(done)s order cancelled.", "%(done)s orders cancelled.", 5) % {"done": 5} == (
            "5 заказов отменено."
        )
    with translation.override("en"):
        assert translation.gettext("Dashboard") == "Dashboard"
