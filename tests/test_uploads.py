import io
import zipfile
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from crm.core.uploads import UploadError, sniff, store
from crm.experts.models import Expert
from crm.extensions import db
from tests.factories import docx_bytes


def test_content_decides_not_the_name():
    assert sniff(b"%PDF-1.7 ...") == "pdf"
    assert sniff(docx_bytes()) == "docx"
    with pytest.raises(UploadError, match="neither"):
        sniff(b"MZ\x90\x00 an executable called cv.pdf")
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(UploadError):
        sniff(plain_zip.getvalue())
    with pytest.raises(UploadError, match="empty"):
        sniff(b"")


def test_store_keeps_the_file_outside_static_under_a_random_key(app, ctx):
    upload = store(FileStorage(io.BytesIO(b"%PDF-1.4 body"), filename="../../etc/MoA draft.pdf"))
    assert upload.kind == "pdf" and upload.original_name == "MoA draft.pdf" and upload.size == 13
    path = app.config["UPLOAD_FOLDER"] + "/" + upload.storage_key
    assert Path(path).read_bytes() == b"%PDF-1.4 body"
    assert "static" not in path


def pdf(body: bytes) -> FileStorage:
    return FileStorage(io.BytesIO(b"%PDF-1.4 " + body), filename="cv.pdf")


def test_files_follow_the_transaction_of_the_record_that_names_them(app, make):
    from crm.experts.services import attach_cv

    expert = make.expert(make.centre())
    root = Path(app.config["UPLOAD_FOLDER"])
    first = attach_cv(expert, pdf(b"first"), None).storage_key
    db.session.commit()

    # A replacement whose change rolls back: its file goes, the first CV and its file stay.
    second = attach_cv(expert, pdf(b"second"), None).storage_key
    db.session.rollback()
    assert not (root / second).exists()
    assert db.session.get(Expert, expert.id).cv.storage_key == first and (root / first).exists()

    # A replacement that commits: only then is the first file removed.
    third = attach_cv(db.session.get(Expert, expert.id), pdf(b"third"), None).storage_key
    assert (root / first).exists()
    db.session.commit()
    assert not (root / first).exists() and (root / third).read_bytes() == b"%PDF-1.4 third"
