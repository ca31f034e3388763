"""Both catalogues hold a translation for every string the code and templates use."""

import pytest

from scripts import i18n


@pytest.fixture(scope="module")
def fresh_template(tmp_path_factory):
    target = tmp_path_factory.mktemp("i18n") / "messages.pot"
    i18n.extract(target)
    return target


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_catalogue_is_complete(fresh_template, locale):
    assert i18n.missing(locale, fresh_template) == [], (
        "run `make translations`, translate the new strings, then `make compile`"
    )
