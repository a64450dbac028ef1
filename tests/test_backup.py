"""Backup while writes go on, restore into a fresh database, and serve the app from the copy."""

import io
import json
import tarfile
import threading

import sqlalchemy as sa

from crm.agreements.models import AgreementDocument
from crm.auth.models import Role, User
from crm.backup import row_counts
from crm.experts.models import ExpertPool
from crm.extensions import db
from tests.factories import Factory, docx_bytes


def build_source(app) -> dict:
    """A centre with records and an uploaded document, written through the app as users write them."""
    with app.app_context():
        make = Factory()
        centre = make.centre()
        agreement = make.agreement(centre, counterparts=[make.organisation()])
        staff = make.user(Role.STAFF, [centre])
        token, agreement_id, centre_id = staff.session_token, agreement.id, centre.id
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = token
    document = docx_bytes()
    response = client.post(
        f"/agreements/{agreement_id}/documents",
        data={"title": "Signed MoU", "file": (io.BytesIO(document), "MoU 2027–2028 “final”.docx")},
    )
    assert response.status_code == 302
    return {"token": token, "document": document, "centre_id": centre_id}


def keep_writing(app, centre_id: int, stop: threading.Event, written: list) -> None:
    """Commit new pools, one transaction each, until told to stop."""
    with app.app_context():
        while not stop.is_set():
            db.session.add(ExpertPool(centre_id=centre_id, name=f"Pool written during the backup {len(written)}"))
            db.session.commit()
            written.append(1)
        db.session.remove()


def test_a_backup_taken_during_writes_restores_to_identical_counts_and_serves(fresh_app, tmp_path):
    source = fresh_app("backup_source")
    world = build_source(source)
    stop, written = threading.Event(), []
    writer = threading.Thread(target=keep_writing, args=(source, world["centre_id"], stop, written))
    writer.start()
    try:
        while len(written) < 5:  # the backup starts while the writer is well under way
            threading.Event().wait(0.01)
        archive = tmp_path / "crm-backup.tar.gz"
        result = source.test_cli_runner().invoke(args=["backup", str(archive)])
    finally:
        stop.set()
        writer.join(timeout=60)
    assert result.exit_code == 0, result.output
    with tarfile.open(archive) as packed:
        manifest = json.load(packed.extractfile("manifest.json"))
        names = packed.getnames()
    assert manifest["tables"]["expert_pools"] >= 5 and manifest["tables"]["users"] == 1
    assert len(manifest["uploads"]) == 1 and f"uploads/{manifest['uploads'][0]}" in names
    with source.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(ExpertPool)) > manifest["tables"]["expert_pools"]
        )

    copy = fresh_app("backup_copy", schema=False)
    restored = copy.test_cli_runner().invoke(args=["restore", str(archive)])
    assert restored.exit_code == 0, restored.output
    with copy.app_context():
        connection = db.session.connection()
        assert row_counts(connection) == manifest["tables"], "every table's row count as in the backup"
        if connection.dialect.name == "sqlite":
            assert db.session.scalar(sa.text("PRAGMA integrity_check")) == "ok"
            assert not db.session.execute(sa.text("PRAGMA foreign_key_check")).all()
        document = db.session.scalar(sa.select(AgreementDocument))
        assert db.session.scalar(sa.select(User.session_token)) == world["token"]

    served = copy.test_client()
    with served.session_transaction() as session:
        session["_user_id"] = world["token"]
    assert served.get("/agreements").status_code == 200
    download = served.get(f"/agreements/documents/{document.id}")
    assert download.status_code == 200 and download.data == world["document"]
    assert "filename*=UTF-8''MoU%202027%E2%80%932028" in download.headers["Content-Disposition"]

    again = copy.test_cli_runner().invoke(args=["restore", str(archive)])
    assert again.exit_code == 1 and "not empty" in again.output
    forced = copy.test_cli_runner().invoke(args=["restore", str(archive), "--force"])
    assert forced.exit_code == 0, forced.output


def test_restore_refuses_a_file_that_is_not_a_backup(fresh_app, tmp_path):
    app = fresh_app("not_a_backup", schema=False)
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    result = app.test_cli_runner().invoke(args=["restore", str(junk)])
    assert result.exit_code == 1 and "not a readable backup archive" in result.output
