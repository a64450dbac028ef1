"""Uploaded documents (agreement versions, proposal documents, CVs): PDF or DOCX, checked by content.

Files are stored outside ``static/`` under UPLOAD_FOLDER, named by a random key, and
only ever sent back through a view that has checked the reader's access. Size is
capped by MAX_CONTENT_LENGTH (a 413 page states the limit).

A file follows the transaction of the record that names it: one written for a change that
rolls back is removed again, and one its record lets go of is removed only once that change
commits, so a failed request leaves neither an orphan file nor a record without its file.
"""

import hashlib
import io
import os
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from crm.core.models import utcnow
from crm.core.web import download
from crm.extensions import db

MIME_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


class UploadError(ValueError):
    """The upload was refused; the message says why, for the user."""


def sniff(data: bytes) -> str:
    """'pdf' or 'docx' judged by the bytes themselves, whatever the file is called."""
    if not data:
        raise UploadError("The file is empty.")
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            names = set()
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return "docx"
    raise UploadError("Only PDF and Word (.docx) documents are accepted; this file is neither.")


@dataclass(frozen=True)
class StoredUpload:
    original_name: str
    kind: str
    size: int
    sha256: str
    storage_key: str


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def store(file_storage) -> StoredUpload:
    """Check and keep an uploaded file (a werkzeug FileStorage); raise UploadError if refused."""
    if file_storage is None or not getattr(file_storage, "filename", ""):
        raise UploadError("Choose a file to upload.")
    data = file_storage.read()
    kind = sniff(data)
    key = f"{secrets.token_hex(16)}.{kind}"
    _write(upload_root() / key, data)
    name = Path(file_storage.filename).name[:255] or f"document.{kind}"
    return StoredUpload(name, kind, len(data), hashlib.sha256(data).hexdigest(), key)


def _write(path: Path, data: bytes) -> None:
    """Write the whole file or nothing: a disk that fills up half-way leaves no partial file behind."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("xb") as handle:
            _pending(_WRITTEN).append(path)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        path.unlink(missing_ok=True)
        current_app.logger.error("Upload not stored at %s: %s", path, error)
        raise UploadError(
            "The server could not keep this file (its disk is full or not writable); nothing was saved. "
            "Try again later, and tell an administrator."
        ) from error


class FileRecord:
    """Columns of a stored document, for a domain's own document model."""

    original_name: Mapped[str] = mapped_column(sa.String(255))
    kind: Mapped[str] = mapped_column(sa.String(10))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    uploaded_at: Mapped[object] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    @declared_attr
    def uploaded_by_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    def fill_from(self, upload: StoredUpload) -> None:
        for field in ("original_name", "kind", "size", "sha256", "storage_key"):
            setattr(self, field, getattr(upload, field))

    def send(self):
        """The file as a download; call only after checking that the reader may see it.

        Sent from memory (uploads are capped at MAX_CONTENT_LENGTH), so no file handle outlives a response
        that a client never reads to the end.
        """
        return download((upload_root() / self.storage_key).read_bytes(), self.original_name, MIME_TYPES[self.kind])

    def delete_file(self) -> None:
        """Remove the file when the change that lets go of it commits."""
        _pending(_LET_GO).append(upload_root() / self.storage_key)


# Paths kept in the session's info until its transaction ends.
_WRITTEN, _LET_GO = "uploads_written", "uploads_let_go"


def _pending(kind: str) -> list[Path]:
    return db.session.info.setdefault(kind, [])


def _unlink(paths) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_commit")
def _keep_written_files(session):
    session.info.pop(_WRITTEN, None)
    _unlink(session.info.pop(_LET_GO, ()))


@event.listens_for(Session, "after_rollback")
def _remove_written_files(session):
    session.info.pop(_LET_GO, None)
    _unlink(session.info.pop(_WRITTEN, ()))
