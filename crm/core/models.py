"""Mixins shared by the domain models."""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from crm.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


def model_classes() -> dict[sa.Table, type]:
    """Each mapped table's model class: what the audit log and deletions read the schema through."""
    return {mapper.local_table: mapper.class_ for mapper in db.Model.registry.mappers}


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Versioned:
    """Optimistic locking: every UPDATE checks and bumps ``version``.

    Edit forms carry the version they were drawn from (see ``crm.core.locking``).
    """

    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.version}


class Audited:
    """Marks a model whose creates, updates and deletes go to the audit log.

    ``audit_exclude`` names columns never copied into the log (secrets); ``audit_collections``
    names many-to-many relationships whose membership the log keeps, as its members' labels.
    """

    audit_exclude: tuple[str, ...] = ()
    audit_collections: tuple[str, ...] = ()

    def audit_label(self) -> str:
        return str(getattr(self, "name", None) or getattr(self, "title", None) or f"#{self.id}")


class CentreScoped:
    """A record that belongs to one centre; read and written through ``crm.core.scoping``."""

    @declared_attr
    def centre_id(cls) -> Mapped[int]:
        return mapped_column(sa.ForeignKey("centres.id"), nullable=False, index=True)


class SeedKey(db.Model):
    """Which record the demo seeds created under a stable key (``crm.seeding.seed_once``): found again by its key
    whatever staff changed in it since, so that seeding twice never makes a second copy."""

    __tablename__ = "seed_keys"

    key: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    entity: Mapped[str] = mapped_column(sa.String(60))
    entity_id: Mapped[int]
