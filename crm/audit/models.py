import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from crm.core.models import utcnow
from crm.extensions import db


class AuditEntry(db.Model):
    """One create, update or delete, with the values before and after. Written once, never changed."""

    __tablename__ = "audit_entries"
    __table_args__ = (sa.Index("ix_audit_entries_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[object] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # Kept as text too: the log must still say who acted after the account is gone.
    actor_email: Mapped[str] = mapped_column(sa.String(254), default="")
    centre_id: Mapped[int | None] = mapped_column(sa.ForeignKey("centres.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(sa.String(10))
    entity: Mapped[str] = mapped_column(sa.String(60))
    entity_id: Mapped[int]
    label: Mapped[str] = mapped_column(sa.String(300), default="")
    # {column: [before, after]}
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_rewriting_history(mapper, connection, target):
    raise PermissionError("Audit entries are never changed or deleted.")
