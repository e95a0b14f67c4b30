"""The interface is Bahasa Indonesia first, English under /en/.

The catalogue checks read locale/id/LC_MESSAGES/*.po with a small parser (no polib), so a
missing or stale translation fails here rather than showing English to an officer.
"""

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

LC_MESSAGES = Path(settings.LOCALE_PATHS[0]) / "id" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"
EXTRA_PO = LC_MESSAGES / "import_export_extra.po"

# %s, %d, %(name)s, %(size).1f, %% ...: every placeholder a translation must keep.
PERCENT_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*\d*(?:\.\d+)?[sdifrxXeEgGcuoa%]")
BRACE_FIELD = re.compile(r"\{[^{}]*\}")


def read_po(path):
    """Entries of a .po file as dicts: msgctxt, msgid, msgid_plural, msgstr (a list of forms),
    flags (a set) and obsolete. The header (empty msgid) is included."""
    entries = []
    entry = None
    keyword = None

    def start():
        return {
            "msgctxt": None,
            "msgid": None,
            "msgid_plural": None,
            "msgstr": {},
            "flags": set(),
            "obsolete": False,
        }

    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            if entry and entry["msgid"] is not None:
                entries.append(entry)
            entry, keyword = None, None
            continue
        if entry is None:
            entry = start()
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        entry["obsolete"] = entry["obsolete"] or obsolete
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$", line)
        if match:
            keyword, index, text = match.group(1), match.group(2), ast.literal_eval(match.group(3))
            if keyword.startswith("msgstr"):
                keyword = ("msgstr", int(index or 0))
                entry["msgstr"][keyword[1]] = text
            else:
                entry[keyword] = text
        elif line.startswith('"') and keyword is not None:
            text = ast.literal_eval(line)
            if isinstance(keyword, tuple):
                entry["msgstr"][keyword[1]] += text
            else:
                entry[keyword] += text
        else:
            raise AssertionError(f"{path.name}: cannot parse line {raw!r}")
    for entry in entries:
        entry["msgstr"] = [entry["msgstr"][i] for i in sorted(entry["msgstr"])]
    return entries


def messages(path):
    """The active (not obsolete) entries, without the header."""
    return [e for e in read_po(path) if e["msgid"] and not e["obsolete"]]


def header(path):
    entry = next(e for e in read_po(path) if e["msgid"] == "")
    return dict(line.split(": ", 1) for line in entry["msgstr"][0].splitlines() if ": " in line)


def label(entry):
    return repr(entry["msgid"])


# --- Catalogue ------------------------------------------------------------------------------


@pytest.mark.parametrize("po", [PO, EXTRA_PO], ids=lambda p: p.name)
def test_the_indonesian_catalogue_has_no_empty_msgstr_and_no_fuzzy_entry(po):
    entries = messages(po)
    assert entries, f"{po} has no messages"
    empty = [
        label(e) for e in entries if not e["msgstr"] or not all(s.strip() for s in e["msgstr"])
    ]
    fuzzy = [label(e) for e in entries if "fuzzy" in e["flags"]]
    assert not empty, f"untranslated in {po.name}: {empty}"
    assert not fuzzy, f"fuzzy in {po.name}: {fuzzy}"


@pytest.mark.parametrize("po", [PO, EXTRA_PO], ids=lambda p: p.name)
def test_the_catalogue_header_declares_indonesian_with_two_plural_forms(po):
    meta = header(po)
    assert meta["Language"] == "id"
    assert meta["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert "charset=UTF-8" in meta["Content-Type"]
    assert "fuzzy" not in next(e for e in read_po(po) if e["msgid"] == "")["flags"]


def test_every_plural_entry_has_both_forms():
    plural = [e for e in messages(PO) if e["msgid_plural"]]
    assert plural, "the dashboard has a plural message; it should be in the catalogue"
    assert not [label(e) for e in plural if len(e["msgstr"]) != 2]


@pytest.mark.parametrize("po", [PO, EXTRA_PO], ids=lambda p: p.name)
def test_every_translation_keeps_the_placeholders_of_its_msgid(po):
    wrong = []
    for entry in messages(po):
        sources = [entry["msgid"]] + ([entry["msgid_plural"]] if entry["msgid_plural"] else [])
        for number, msgstr in enumerate(entry["msgstr"]):
            source = sources[min(number, len(sources) - 1)]
            expected, found = PERCENT_PLACEHOLDER.findall(source), PERCENT_PLACEHOLDER.findall(msgstr)
            if sorted(expected) != sorted(found):
                wrong.append((entry["msgid"], msgstr))
            fields = BRACE_FIELD.findall(source)
            if fields:
                # str.format arguments may be reordered ({4} ... {0}) but none may be lost.
                args = [f"<arg{i}>" for i in range(len(fields))]
                try:
                    formatted = msgstr.format(*args)
                except (IndexError, KeyError, ValueError):
                    formatted = ""
                if not all(arg in formatted for arg in args):
                    wrong.append((entry["msgid"], msgstr))
    assert not wrong


def test_the_import_export_translations_are_merged_into_the_main_catalogue():
    """`makemessages` turns these into obsolete entries; locale/README.md explains the merge."""
    main = {e["msgid"]: e["msgstr"] for e in messages(PO)}
    extra = messages(EXTRA_PO)
    missing = [label(e) for e in extra if main.get(e["msgid"]) != e["msgstr"]]
    assert not missing, f"run the merge in locale/README.md; missing or different: {missing}"


def test_the_catalogue_has_no_duplicate_msgid():
    for po in (PO, EXTRA_PO):
        keys = [(e["msgctxt"], e["msgid"]) for e in messages(po)]
        assert len(keys) == len(set(keys)), po.name


def test_the_committed_mo_matches_its_po(tmp_path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt (GNU gettext) is not installed")
    assert MO.exists(), "locale/id/LC_MESSAGES/django.mo is missing: run compilemessages"
    fresh = tmp_path / "django.mo"
    subprocess.run(
        [msgfmt, "--check-format", "-o", str(fresh), str(PO)], check=True, capture_output=True
    )

    def catalog(path):
        with path.open("rb") as fp:
            return gettext.GNUTranslations(fp)._catalog

    committed, expected = catalog(MO), catalog(fresh)
    keys = set(committed) | set(expected)
    stale = sorted(str(key) for key in keys if committed.get(key) != expected.get(key))
    assert not stale, f"django.mo is stale, run compilemessages; differing entries: {stale}"


def test_every_string_marked_for_translation_in_the_code_is_in_the_catalogue(tmp_path):
    """A string added to the code or a template is in django.po, translated: `makemessages`,
    run on a copy of the project, finds nothing new (the checks above read only what is already
    in the catalogue)."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.skip("xgettext and msgmerge (GNU gettext) are not installed")
    root = Path(settings.BASE_DIR)
    copy = tmp_path / "project"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "staticfiles", "bench-data", "node_modules", "tests", "*.sqlite3", "*.gz",
        "*.mo", "__pycache__", "media",
    ))
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "id", "--no-location", "--ignore=tests"],
        cwd=copy, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(copy)},
    )
    assert result.returncode == 0, result.stderr
    fresh = copy / "locale" / "id" / "LC_MESSAGES" / "django.po"
    missing = [
        label(e) for e in messages(fresh)
        if not e["msgstr"] or not all(s.strip() for s in e["msgstr"]) or "fuzzy" in e["flags"]
    ]
    assert not missing, f"not translated in django.po (run `make messages` and translate): {missing}"


# --- Pages ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_dashboard_at_the_root_is_in_indonesian(officer_client):
    response = officer_client.get("/dasbor/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="id">' in html
    assert "Dasbor" in html
    assert "Capaian keanggotaan:" in html
    assert "KK terwakili" in html
    assert "Dashboard" not in html
    assert "Membership progress" not in html


@pytest.mark.django_db
def test_the_dashboard_under_en_is_in_english(officer_client):
    response = officer_client.get("/en/dasbor/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Dashboard" in html
    assert "Membership progress:" in html
    assert "KK represented" in html
    assert "Dasbor" not in html


@pytest.mark.django_db
def test_the_root_stays_indonesian_for_a_browser_that_prefers_english(officer_client):
    response = officer_client.get("/", headers={"accept-language": "en-US,en;q=0.9"})
    assert response.status_code == 200
    assert '<html lang="id">' in response.content.decode()


@pytest.mark.django_db
def test_the_login_page_is_in_indonesian_for_an_anonymous_visitor(client):
    response = client.get("/masuk/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="id">' in html
    assert "<h1>Masuk</h1>" in html
    assert "Nama pengguna" in html  # labels from Django's own Indonesian catalogue
    assert "Sandi" in html
    assert "Sign in" not in html


@pytest.mark.django_db
def test_the_login_page_under_en_is_in_english(client):
    response = client.get("/en/masuk/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "<h1>Sign in</h1>" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "login"), [("/", "/masuk/?next=/"), ("/en/", "/en/masuk/?next=/en/")]
)
def test_an_anonymous_visitor_is_sent_to_the_login_page_of_the_same_language(client, path, login):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url == login


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("page", "other_language_url"),
    [("/anggota/?q=budi", "/en/anggota/?q=budi"), ("/en/anggota/?q=budi", "/anggota/?q=budi")],
)
def test_the_language_link_leads_to_the_same_page_in_the_other_language(
    officer_client, page, other_language_url
):
    html = officer_client.get(page).content.decode()
    assert f'href="{other_language_url}"' in html


@pytest.mark.django_db
def test_the_admin_export_screen_of_django_import_export_is_in_indonesian(admin_client):
    response = admin_client.get("/admin/members/household/export/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Kolom berikut akan diekspor" in html
    assert "This exporter will export the following fields" not in html
    assert "Submit" not in html
