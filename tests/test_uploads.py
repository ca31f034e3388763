"""The store of uploaded files waiting for their confirmation (``uploads.UploadStore``): in
the database, one kind of import apart from another, taken once and only by their owner
where they were checked, gone after an hour, deleted once the import is done whatever
its outcome. (Two app servers sharing it: ``tests/test_two_servers.py``.)"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import update

from competition.dbtypes import utcnow
from competition.extensions import db
from competition.uploads import PendingUpload, UploadStore
from tests import builders
from tests.helpers import kept_uploads

DATA = b"PK\x03\x04 a workbook, or so"


@pytest.fixture
def owner(app):
    user = builders.user("organizer", username="owner")
    db.session.commit()
    return user


def test_each_import_keeps_its_own_kind_named_as_its_folder_was():
    contestants = UploadStore.for_app()
    assert contestants.kind == "contestants"
    # The folder of the disk store is still how a view names its kind.
    for kind in ("theory", "experts"):
        assert UploadStore(os.path.join(contestants.folder, kind)).kind == kind
        assert UploadStore.for_app(kind).kind == kind
    with pytest.raises(ValueError):
        UploadStore.for_app("x" * 41)


def test_a_kept_file_is_taken_once_by_its_owner_where_it_was_checked(app, owner):
    other = builders.user("organizer", username="other")
    store = UploadStore.for_app()
    token = store.save(owner.id, 7, "名单.xlsx", DATA)
    db.session.commit()

    assert store.claim(other.id, 7, token) is None  # someone else
    assert store.claim(owner.id, 8, token) is None  # another competition
    assert UploadStore.for_app("theory").claim(owner.id, 7, token) is None  # another import
    assert store.claim(owner.id, 7, token[:-1] + "!") is None  # not a token
    assert store.claim(owner.id, 7, "") is None
    assert [kept.token for kept in kept_uploads()] == [token]  # none of that took it

    assert store.claim(owner.id, 7, token) == ("名单.xlsx", DATA)
    assert store.claim(owner.id, 7, token) is None  # a second click
    store.release(owner.id, 7, token)
    db.session.commit()
    assert kept_uploads() == []


def test_a_file_is_kept_for_an_hour_and_any_kind_expired_goes_at_the_next_use(app, owner):
    store = UploadStore.for_app()
    old = store.save(owner.id, 1, "a.csv", b"a")
    expired = UploadStore.for_app("experts").save(owner.id, 0, "b.csv", b"b")
    db.session.execute(update(PendingUpload).where(PendingUpload.token.in_([old, expired]))
                       .values(created_at=utcnow() - timedelta(seconds=3601)))
    fresh = store.save(owner.id, 1, "c.csv", b"c")  # purges every kind first
    db.session.commit()

    assert [kept.token for kept in kept_uploads()] == [fresh]
    assert store.claim(owner.id, 1, old) is None


def test_an_expired_file_is_never_handed_out(app, owner):
    store = UploadStore.for_app()
    token = store.save(owner.id, 1, "a.csv", b"a")
    db.session.execute(update(PendingUpload).values(
        created_at=utcnow() - timedelta(seconds=3601)))
    db.session.commit()

    assert store.claim(owner.id, 1, token) is None
    db.session.commit()
    assert kept_uploads() == []


def test_a_preview_rolled_back_keeps_nothing(app, owner):
    UploadStore.for_app().save(owner.id, 1, "a.csv", b"a")
    db.session.rollback()
    assert kept_uploads() == []


@pytest.mark.parametrize("order", ["rollback, then release", "release, then rollback"])
def test_a_released_file_is_deleted_even_when_the_import_is_rolled_back(app, owner, order):
    """A refused import rolls the request back, the claim with it; the view releases the
    file before or after that rollback: either way the commit that ends the request
    deletes it."""
    store = UploadStore.for_app("theory")
    token = store.save(owner.id, 3, "理论成绩.xlsx", DATA)
    db.session.commit()
    assert store.claim(owner.id, 3, token) is not None
    if order == "rollback, then release":
        db.session.rollback()
        store.release(owner.id, 3, token)
    else:
        store.release(owner.id, 3, token)
        db.session.rollback()
    assert len(kept_uploads()) == (1 if order == "release, then rollback" else 0)

    db.session.commit()

    assert kept_uploads() == []


def test_a_release_never_deletes_someone_elses_file(app, owner):
    other = builders.user("organizer", username="other")
    store = UploadStore.for_app()
    token = store.save(owner.id, 1, "a.csv", b"a")
    db.session.commit()

    store.release(other.id, 1, token)
    store.release(owner.id, 2, token)
    db.session.commit()

    assert [kept.token for kept in kept_uploads()] == [token]


def test_the_files_own_name_is_kept_without_folders_and_with_its_extension(app, owner):
    store = UploadStore.for_app()
    long_name = "名" * 300 + ".xlsx"
    for sent, kept in ((r"C:\Users\王芳\Desktop\名单.xlsx", "名单.xlsx"),
                       ("报名表.csv", "报名表.csv"), ("", ""),
                       (long_name, "名" * 250 + ".xlsx")):
        token = store.save(owner.id, 1, sent, DATA)
        assert store.claim(owner.id, 1, token) == (kept, DATA)


def test_a_file_larger_than_any_import_takes_is_not_kept(app, owner):
    with pytest.raises(ValueError):
        UploadStore.for_app().save(owner.id, 1, "a.csv", bytes(UploadStore.MAX_BYTES + 1))
    assert kept_uploads() == []
