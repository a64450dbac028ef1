"""Directory, partnerships, contacts and interactions. Services validate, change and flush; the request commits."""

import unicodedata
from datetime import date

import sqlalchemy as sa

from crm.centres.services import CentreError, check_countries
from crm.core.deletion import Deletion, consequences, counted, delete_record, deletion
from crm.core.errors import RuleError
from crm.core.kmgbf import check_targets
from crm.core.partial_dates import PartialDate
from crm.core.records import create_or_update
from crm.core.scoping import writable_centres
from crm.core.text import web_address
from crm.extensions import db
from crm.partners.models import (
    Contact,
    Interaction,
    InteractionKind,
    Organisation,
    OrganisationType,
    Partnership,
    PartnershipRole,
    Stage,
)

# The types the issue names, with the plural headings the reports list partners under; admins add more
# (see add_type).
DEFAULT_TYPES = (
    ("un_international", "UN or international body", "UN and international bodies"),
    ("government", "National or local government", "National and local government bodies"),
    ("research", "Research institute or university", "Research institutes and universities"),
    ("cooperation_platform", "International cooperation platform", "International cooperation platforms"),
    ("ngo", "NGO or civil society", "NGOs and civil society organizations"),
    ("private", "Private sector", "Private sector organizations"),
    ("funder", "Funder", "Funders"),
    ("iplc_women_youth", "IPLC, women or youth organisation", "IPLC, women and youth organizations"),
)

# Words that do not tell two organisations apart ("The Institute of Zoology" = "Institute Zoology").
COMMON_WORDS = {"the", "of", "and", "for", "a", "an", "in", "on", "at", "to", "de", "la", "le", "des", "du", "et"}


class PartnerError(RuleError):
    """Refused input in this domain (see crm.core.errors.RuleError)."""


def may_edit_directory(user) -> bool:
    """The directory is shared: any centre's staff (and admins) keep it; coordinators only read."""
    return user.is_admin or bool(writable_centres(user))


def fold(text: str) -> str:
    """A name reduced to what identifies it: no case, accents, punctuation or common words."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    kept = []
    for char in decomposed:
        category = unicodedata.category(char)
        if category == "Mn":
            continue
        kept.append(" " if category[0] in "PSZ" else char)
    words = "".join(kept).casefold().split()
    return " ".join(word for word in words if word not in COMMON_WORDS)


def match_keys(name: str, other_names: list[str], acronym: str) -> list[str]:
    keys = [fold(n) for n in [name, *other_names]]
    if acronym.strip():
        keys.append("acronym:" + fold(acronym).replace(" ", ""))
    return [key for key in dict.fromkeys(keys) if key and key != "acronym:"]


def likely_duplicates(name: str, other_names: list[str], acronym: str, exclude_id: int | None = None):
    """Organisations sharing the acronym or a folded name in any script; one query."""
    keys = match_keys(name, other_names, acronym)
    if not keys:
        return []
    stmt = sa.select(Organisation).where(sa.or_(*(Organisation.match_keys.contains(f"|{key}|") for key in keys)))
    if exclude_id is not None:
        stmt = stmt.where(Organisation.id != exclude_id)
    return db.session.scalars(stmt.order_by(Organisation.name)).all()


def split_names(text: str | list[str]) -> list[str]:
    lines = text.splitlines() if isinstance(text, str) else text
    return [line.strip() for line in lines if line.strip()]


def check_website(url: str) -> str:
    try:
        return web_address(url)
    except ValueError as error:
        raise PartnerError(str(error), "website") from None


def all_types() -> list[OrganisationType]:
    return db.session.scalars(
        sa.select(OrganisationType).order_by(OrganisationType.position, OrganisationType.name)
    ).all()


def type_by_code(code: str) -> OrganisationType | None:
    return db.session.scalar(sa.select(OrganisationType).where(OrganisationType.code == code))


def add_type(name: str, code: str | None = None, plural_name: str = "") -> OrganisationType:
    name = name.strip()
    code = (code or fold(name).replace(" ", "_"))[:40]
    clash = db.session.scalar(
        sa.select(OrganisationType).where(
            sa.or_(OrganisationType.code == code, sa.func.lower(OrganisationType.name) == name.lower())
        )
    )
    if clash is not None:
        raise PartnerError(f"The type “{clash.name}” already exists.", "name")
    position = (db.session.scalar(sa.select(sa.func.max(OrganisationType.position))) or 0) + 10
    kind = OrganisationType(code=code, name=name, plural_name=(plural_name or "").strip(), position=position)
    db.session.add(kind)
    db.session.flush()
    return kind


def set_type_heading(kind: OrganisationType, plural_name: str) -> OrganisationType:
    kind.plural_name = (plural_name or "").strip()
    db.session.flush()
    return kind


def save_organisation(organisation: Organisation | None, data: dict) -> Organisation:
    """Create (organisation is None) or update a directory entry from validated form data."""
    kind = db.session.get(OrganisationType, int(data["type_id"])) if data.get("type_id") else None
    if kind is None:
        raise PartnerError("Choose a type.", "type_id")
    try:
        country = check_countries([data.get("country") or ""], "country")
    except CentreError as error:
        raise PartnerError(str(error), "country") from error
    values = {
        "name": data["name"].strip(),
        "other_names": split_names(data.get("other_names") or ""),
        "acronym": (data.get("acronym") or "").strip(),
        "type_id": kind.id,
        "country": country[0] if country else None,
        "website": check_website(data.get("website") or ""),
        "notes": (data.get("notes") or "").strip(),
    }
    values["match_keys"] = "|" + "|".join(match_keys(values["name"], values["other_names"], values["acronym"])) + "|"
    organisation = create_or_update(Organisation, organisation, values)
    db.session.flush()
    return organisation


def partnership_of(centre_id: int, organisation_id: int) -> Partnership | None:
    return db.session.scalar(
        sa.select(Partnership).where(Partnership.centre_id == centre_id, Partnership.organisation_id == organisation_id)
    )


def deletion_of_partnership(partnership: Partnership) -> Deletion:
    return deletion(
        partnership,
        f"the partnership with {partnership.organisation.display_name}",
        consequences(
            counted(len(partnership.contacts), "contact"),
            counted(len(partnership.interactions), "interaction"),
        ),
    )


def delete_partnership(partnership: Partnership) -> None:
    """Delete a centre's partnership with its contacts and interactions; the organisation stays in the directory."""
    delete_record(partnership, deletion_of_partnership(partnership), PartnerError)


def save_partnership(partnership: Partnership | None, data: dict, centre_id: int | None = None) -> Partnership:
    """Create (with ``centre_id``) or update a centre's partnership."""
    try:
        targets = check_targets(data.get("targets") or [])
    except ValueError as error:
        raise PartnerError(str(error), "targets") from error
    try:
        stage = Stage(data["stage"])
    except ValueError:
        raise PartnerError("Choose a stage.", "stage") from None
    try:
        role = PartnershipRole(data.get("role") or (partnership.role if partnership else PartnershipRole.PARTNER))
    except ValueError:
        raise PartnerError("Choose a role.", "role") from None
    values = {
        "stage": stage,
        "role": role,
        "areas": (data.get("areas") or "").strip(),
        "owner_id": int(data["owner_id"]) if data.get("owner_id") else None,
        "next_step": (data.get("next_step") or "").strip(),
        "next_step_on": data.get("next_step_on"),
        "notes": (data.get("notes") or "").strip(),
        "engaged": data.get("engaged") or (partnership.engaged if partnership else PartialDate(date.today())),
    }
    on_create = {}
    if partnership is None:
        organisation = db.session.get(Organisation, int(data["organisation_id"]))
        if organisation is None:
            raise PartnerError("Choose an organisation of the directory.", "organisation_id")
        existing = partnership_of(centre_id, organisation.id)
        if existing is not None:
            raise PartnerError("Your centre already has a partnership with this organisation.", "organisation_id")
        # The organisation itself, not its id: the audit log labels the new partnership with its name.
        on_create = {"centre_id": centre_id, "organisation": organisation}
    partnership = create_or_update(Partnership, partnership, values, **on_create)
    partnership.targets = targets
    db.session.flush()
    return partnership


def save_contact(partnership: Partnership, contact: Contact | None, data: dict) -> Contact:
    values = {key: (data.get(key) or "").strip() for key in ("name", "title", "email", "phone", "languages", "notes")}
    contact = create_or_update(Contact, contact, values, partnership=partnership, centre_id=partnership.centre_id)
    db.session.flush()
    return contact


def log_interaction(partnership: Partnership, data: dict, recorded_by_id: int | None) -> Interaction:
    occurred_on: date = data["occurred_on"]
    interaction = Interaction(
        partnership=partnership,
        centre_id=partnership.centre_id,
        occurred_on=occurred_on,
        kind=InteractionKind(data["kind"]),
        summary=data["summary"].strip(),
        attendees=(data.get("attendees") or "").strip(),
        follow_up=(data.get("follow_up") or "").strip(),
        recorded_by_id=recorded_by_id,
    )
    db.session.add(interaction)
    db.session.flush()
    return interaction
