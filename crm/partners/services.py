"""Directory, partnerships, contacts and interactions. Services validate, change and flush; the request commits."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from crm.centres.services import CentreError, check_countries
from crm.core.deletion import COUNTS, Deletion, consequences, counted, delete_record, deletion
from crm.core.errors import RuleError
from crm.core.kmgbf import check_targets
from crm.core.models import model_classes
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
    stmt = stmt.where(Organisation.merged_into_id.is_(None))
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
        raise PartnerError(_("The type “%(name)s” already exists.", name=clash.name), "name")
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
        raise PartnerError(_("Choose a type."), "type_id")
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
        _("the partnership with %(name)s", name=partnership.organisation.display_name),
        consequences(
            counted(len(partnership.contacts), "contacts"),
            counted(len(partnership.interactions), "interactions"),
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
        raise PartnerError(_("Choose a stage."), "stage") from None
    try:
        role = PartnershipRole(data.get("role") or (partnership.role if partnership else PartnershipRole.PARTNER))
    except ValueError:
        raise PartnerError(_("Choose a role."), "role") from None
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
            raise PartnerError(_("Choose an organisation of the directory."), "organisation_id")
        existing = partnership_of(centre_id, organisation.id)
        if existing is not None:
            raise PartnerError(_("Your centre already has a partnership with this organisation."), "organisation_id")
        # The organisation itself, not its id: the audit log labels the new partnership with its name.
        on_create = {"centre_id": centre_id, "organisation": organisation}
    partnership = create_or_update(Partnership, partnership, values, **on_create)
    partnership.targets = targets
    db.session.flush()
    return partnership


# Stages before an agreement is signed: a signature moves them to "active". Active, dormant and closed are staff's
# own judgement and stay as set.
BEFORE_SIGNATURE = (Stage.IDENTIFIED, Stage.CONTACTED, Stage.IN_DISCUSSION, Stage.AGREEMENT_IN_PREPARATION)


def follow_signature(centre_id: int, organisation_ids: list[int]) -> list[Partnership]:
    """A centre's partnerships with the counterparts of an agreement it signed become active (audited), unless staff
    set them active, dormant or closed already; returns the partnerships moved."""
    if not organisation_ids:
        return []
    moved = db.session.scalars(
        sa.select(Partnership).where(
            Partnership.centre_id == centre_id,
            Partnership.organisation_id.in_(organisation_ids),
            Partnership.stage.in_(BEFORE_SIGNATURE),
        )
    ).all()
    for partnership in moved:
        partnership.stage = Stage.ACTIVE
    return moved


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


# Merging two directory entries that are one organisation


@dataclass(frozen=True)
class Merge:
    """What merging ``duplicate`` into ``survivor`` moves, in words, and who may do it."""

    survivor: Organisation
    duplicate: Organisation
    moves: list[str]  # ["2 partnerships", "1 proposal"...]
    centre_ids: set[int]  # the centres whose records it changes

    def allowed(self, user) -> bool:
        """An admin, or staff of every centre concerned: nobody rewrites a centre's records it does not keep."""
        return user.is_admin or (user.role == "staff" and self.centre_ids <= user.member_centre_ids)


def _references():
    """Every (table, column) that names an organisation, found from the schema: a reference added later is moved too."""
    table = Organisation.__table__
    for other in db.metadata.sorted_tables:
        for key in other.foreign_keys:
            if key.column.table is table and other is not table:
                yield other, key.parent


def _collection_of(table):
    """For a link table (agreement_counterparts): the class owning the link and the name of its collection."""
    classes = model_classes()
    for key in table.foreign_keys:
        owner = classes.get(key.column.table)
        if owner is None or owner is Organisation:
            continue
        for relation in sa.inspect(owner).relationships:
            if relation.secondary is table:
                return owner, relation.key, key.parent
    raise LookupError(table.name)


def _collides(record, column, survivor_id: int):
    """Whether moving ``record`` to the survivor would break one of its table's unique constraints (a centre's second
    partnership with one organisation, an organisation twice on a proposal)."""
    table = record.__table__
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint) and any(c is column for c in constraint.columns):
            others = [c for c in constraint.columns if c is not column]
            clash = sa.select(table.c.id).where(column == survivor_id, *(c == getattr(record, c.key) for c in others))
            if db.session.scalar(clash) is not None:
                return True
    return False


# What a merge moves, in the records' own words (counted, in the user's language), by table and column; others by
# their class's name.
MERGE_NOUNS = {
    ("ledger_entries", "source_id"): lambda n: ngettext("%(num)d resource", "%(num)d resources", n),
    ("experts", "affiliation_id"): lambda n: ngettext(
        "%(num)d expert affiliated with it", "%(num)d experts affiliated with it", n
    ),
    ("experts", "provider_id"): lambda n: ngettext("%(num)d expert it provides", "%(num)d experts it provides", n),
    ("proposals", "funder_id"): lambda n: ngettext("%(num)d proposal it funds", "%(num)d proposals it funds", n),
    ("proposal_partners", "organisation_id"): lambda n: ngettext(
        "%(num)d proposal it is a partner of", "%(num)d proposals it is a partner of", n
    ),
    ("funding_mechanisms", "funder_id"): lambda n: ngettext(
        "%(num)d funding mechanism", "%(num)d funding mechanisms", n
    ),
    ("agreement_counterparts", "organisation_id"): lambda n: ngettext("%(num)d agreement", "%(num)d agreements", n),
}


def _moved(table, column, number: int, owner: type) -> str:
    words = MERGE_NOUNS.get((table.name, column.key))
    if words is not None:
        return words(number)
    if table.name in COUNTS:
        return counted(number, table.name)
    return counted(number, re.sub(r"(?<!^)(?=[A-Z])", " ", owner.__name__).lower())


def plan_merge(survivor: Organisation, duplicate: Organisation) -> Merge:
    """What the merge would move (one count per referring table) and the centres it touches."""
    if survivor.id == duplicate.id:
        raise PartnerError(_("Choose another organisation: an entry cannot be merged into itself."), "survivor_id")
    if survivor.merged_into_id or duplicate.merged_into_id:
        raise PartnerError(
            _("That entry was merged into another already; choose the one it was merged into."), "survivor_id"
        )
    classes = model_classes()
    moves, centre_ids = [], set()
    for table, column in _references():
        if column.key == "merged_into_id":
            continue
        number = db.session.scalar(sa.select(sa.func.count()).select_from(table).where(column == duplicate.id))
        if not number:
            continue
        if table in classes:
            cls = classes[table]
            if "centre_id" in table.c:
                centre_ids |= set(db.session.scalars(sa.select(table.c.centre_id).where(column == duplicate.id)))
            moves.append(_moved(table, column, number, cls))
        else:
            owner, _key, owner_column = _collection_of(table)
            owners = sa.select(owner_column).where(column == duplicate.id)
            if "centre_id" in owner.__table__.c:
                centre_ids |= set(db.session.scalars(sa.select(owner.centre_id).where(owner.id.in_(owners))))
            moves.append(_moved(table, column, number, owner))
    return Merge(survivor, duplicate, moves, centre_ids)


def merge_organisations(merge: Merge) -> Organisation:
    """Move every record naming the duplicate to the survivor, through the ORM so that each change is audited; the
    survivor takes the duplicate's names as other names (the old name still finds it), and the duplicate stays as
    an alias (``merged_into_id``) so that old links lead to the survivor. A centre that partnered both keeps one
    partnership, the survivor's, with the other's contacts and interactions moved into it; an organisation named
    twice on one record (a proposal's partners) is named once."""
    survivor, duplicate = merge.survivor, merge.duplicate
    classes = model_classes()
    for table, column in list(_references()):
        if column.key == "merged_into_id":
            continue
        if table not in classes:
            owner, collection, owner_column = _collection_of(table)
            owners = db.session.scalars(
                sa.select(owner).where(owner.id.in_(sa.select(owner_column).where(column == duplicate.id)))
            ).all()
            for record in owners:
                kept = [o for o in getattr(record, collection) if o.id != duplicate.id]
                setattr(record, collection, kept + ([survivor] if survivor not in kept else []))
            continue
        for record in db.session.scalars(sa.select(classes[table]).where(column == duplicate.id)).all():
            if not _collides(record, column, survivor.id):
                setattr(record, column.key, survivor.id)
                continue
            if isinstance(record, Partnership):
                kept = partnership_of(record.centre_id, survivor.id)
                for child in [*record.contacts, *record.interactions]:
                    child.partnership = kept
                db.session.flush()
                db.session.expire(record, ["contacts", "interactions"])
            db.session.delete(record)
    known = {fold(n) for n in [survivor.name, *survivor.other_names]}
    names = [n for n in dict.fromkeys([duplicate.name, *duplicate.other_names]) if fold(n) not in known]
    if duplicate.acronym and not survivor.acronym:
        survivor.acronym = duplicate.acronym
    survivor.other_names = [*survivor.other_names, *names]
    survivor.match_keys = "|" + "|".join(match_keys(survivor.name, survivor.other_names, survivor.acronym)) + "|"
    survivor.website = survivor.website or duplicate.website
    duplicate.merged_into_id = survivor.id
    duplicate.match_keys = ""
    db.session.flush()
    return survivor
