import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.models import Audited, Timestamped, Versioned
from crm.extensions import db


class OrganisationType(Audited, Versioned, Timestamped, db.Model):
    """A kind of organisation (UN or international body, research institute...). Admins can add more."""

    __tablename__ = "organisation_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    position: Mapped[int] = mapped_column(default=100)


class Organisation(Audited, Versioned, Timestamped, db.Model):
    """One entry of the network-wide directory; centres relate to it through partnerships."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300), index=True)
    # Names in other scripts (Chinese, Cyrillic...), as written.
    other_names: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    acronym: Mapped[str] = mapped_column(sa.String(40), default="", index=True)
    type_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation_types.id"), index=True)
    country: Mapped[str | None] = mapped_column(sa.String(2))
    website: Mapped[str] = mapped_column(sa.String(500), default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    type = relationship("OrganisationType", lazy="joined")

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym and self.acronym not in self.name else self.name
