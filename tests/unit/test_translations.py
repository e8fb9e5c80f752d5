"""The Japanese catalog covers every string in the code, compiles, and the UI switches language."""

import importlib.util
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.support import Translations

from tests.conftest import csrf_token

ROOT = Path(__file__).resolve().parents[2]


def _load_script():
    spec = importlib.util.spec_from_file_location(
        "translations_script", ROOT / "scripts" / "translations.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


translations = _load_script()


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The strings the code and templates use now, extracted with babel.cfg."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    translations.extract_pot(pot)
    return translations.read_catalog(pot)


@pytest.fixture(scope="module")
def ja():
    return translations.read_catalog(translations.po_path("ja"), "ja")


@pytest.fixture(scope="module")
def compiled(app):
    """Compiled catalogs, as `make` builds them; rebuilt if the .po is newer than the .mo."""
    po = translations.po_path("ja")
    mo = po.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        translations.compile_catalogs()
        # Flask-Babel caches loaded catalogs per process; drop any loaded before the .mo existed.
        from oms.extensions import babel

        with app.app_context():
            babel.domain_instance.cache.clear()


def test_extraction_finds_the_strings(template):
    ids = {message.id for message in template}
    assert {"Sign in", "Orders", "Awaiting review"} <= ids  # template, Python, lazy_gettext


def test_every_msgid_has_a_japanese_translation(template, ja):
    missing = translations.untranslated(template, ja)
    assert not missing, (
        "No Japanese translation (empty or fuzzy) in oms/translations/ja/LC_MESSAGES/"
        "messages.po; run `python scripts/translations.py extract` and translate:\n  "
        + "\n  ".join(missing)
    )


def test_japanese_catalog_compiles(ja):
    assert not translations.catalog_errors(ja)
    buffer = BytesIO()
    write_mo(buffer, ja)
    buffer.seek(0)
    catalog = Translations(fp=buffer)
    assert catalog.gettext("Sign in") == "ログイン"
    assert catalog.gettext("Page %(n)d") % {"n": 3} == "3ページ目"


def test_login_page_is_japanese_by_default(client, compiled):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="ja">' in page
    assert "ログイン" in page
    assert "パスワード" in page


def test_language_switch_to_english(client, compiled):
    response = client.post(
        "/language", data={"lang": "en", "next": "/login", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 303
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Sign in" in page
    assert "Password" in page
    assert "ログイン" not in page

    client.post("/language", data={"lang": "ja", "next": "/login",
                                   "csrf_token": csrf_token(client)})
    assert "ログイン" in client.get("/login").get_data(as_text=True)


def test_order_list_labels_are_japanese(client, auth, compiled):
    auth.login()
    page = client.get("/orders/").get_data(as_text=True)
    assert "受注番号" in page
    assert "すべて" in page  # a tab label from oms.labels (lazy_gettext)
    assert "ログアウト" in page
