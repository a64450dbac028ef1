"""An uploaded spreadsheet kept between its preview and its uploader's confirmation."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from crm.core.models import Timestamped
from crm.extensions import db


class ImportStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISCARDED = "discarded"


class PendingImport(Timestamped, db.Model):
    """The file as uploaded, with the choices made on the upload form; once confirmed or discarded, only what
    was done is kept (the counts), not the file. Not audited itself: every record it writes is."""

    __tablename__ = "pending_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int | None] = mapped_column(sa.ForeignKey("centres.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    # Deferred: lists and status pages never load the file itself.
    content: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary, nullable=False))
    size: Mapped[int]
    # {"register", "locale", "encoding", "delimiter"}: what the upload form said.
    options: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[str] = mapped_column(sa.String(10), default=ImportStatus.PENDING.value)
    # What a confirmed import did: {"rows": n, "sheets": [{"register", "sheet", "created", "updated", "unchanged"}]}.
    result: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    centre = relationship("Centre")
    created_by = relationship("User")
