import io
import zipfile
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from crm.core.uploads import UploadError, sniff, store
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
