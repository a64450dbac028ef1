"""Rules of the expert roster. Services validate, change and flush; the request commits."""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pycountry
import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from crm.audit.models import AuditEntry
from crm.audit.services import history_for
from crm.core.deletion import Deletion, consequences, delete_record, deletion
from crm.core.errors import RuleError
from crm.core.kmgbf import check_targets
from crm.core.partial_dates import PartialDate
from crm.core.records import create_many, create_or_update
from crm.core.uploads import UploadError, store
from crm.experts.models import (
    Availability,
    EngagementBasis,
    Expert,
    ExpertCv,
    ExpertEngagement,
    ExpertPool,
    ExpertTag,
    PoolStatus,
    TagFacet,
    Vetting,
    pool_memberships,
)
from crm.extensions import db
from crm.money.amounts import AmountError, PairError, check_quantity, money_pair
from crm.partners.models import Organisation

ERASED = "[erased]"


class ExpertError(RuleError):
    """A refused change; ``field`` names the form field the message belongs beside."""


def may_see_personal_data(user, expert: Expert) -> bool:
    """Contacts and CVs are for the expert's own centre's staff; coordinators and admins see the rest."""
    return user.can_write(expert.centre_id)


def visible_history(user, expert: Expert) -> list:
    """The expert's audit entries, with personal fields left out for readers who may not see them."""
    entries = history_for(expert)
    if may_see_personal_data(user, expert):
        return entries
    return [
        SimpleNamespace(
            id=entry.id,
            at=entry.at,
            actor_email=entry.actor_email,
            action=entry.action,
            entity=entry.entity,
            entity_id=entry.entity_id,
            label=entry.label,
            changes={field: pair for field, pair in entry.changes.items() if field not in Expert.PERSONAL},
        )
        for entry in entries
    ]


# --- checking values -------------------------------------------------------


def check_country(code: str | None, field: str) -> str | None:
    code = (code or "").strip().upper()
    if not code:
        return None
    if pycountry.countries.get(alpha_2=code) is None:
        raise ExpertError(
            _("Unknown country code %(code)s: choose a country from the list (ISO 3166).", code=repr(code)), field
        )
    return code


def check_languages(codes) -> list[str]:
    """ISO 639-3 codes (two-letter ISO 639-1 codes are accepted and translated), in the order given."""
    result = []
    for raw in codes or []:
        code = (raw or "").strip().lower()
        if not code:
            continue
        language = pycountry.languages.get(alpha_3=code) if len(code) == 3 else pycountry.languages.get(alpha_2=code)
        if language is None:
            raise ExpertError(
                _("Unknown language code %(code)s: choose a language from the list (ISO 639).", code=repr(raw)),
                "languages",
            )
        if language.alpha_3 not in result:
            result.append(language.alpha_3)
    return result


def check_themes(raw) -> list[str]:
    """Themes from a comma-separated text or a list: trimmed, distinct regardless of case, at most 100 characters."""
    items = raw.split(",") if isinstance(raw, str) else list(raw or [])
    themes, seen = [], set()
    for item in items:
        theme = " ".join(str(item).split())
        if not theme:
            continue
        if len(theme) > 100:
            raise ExpertError(_("A theme is at most 100 characters: %(theme)s…", theme=theme[:40]), "themes")
        if theme.lower() not in seen:
            seen.add(theme.lower())
            themes.append(theme)
    return themes


def check_day_rate(basis: EngagementBasis, amount, currency: str | None) -> tuple[Decimal | None, str | None]:
    currency = (currency or "").strip()
    if amount in (None, ""):
        if currency and basis == EngagementBasis.PAID:
            raise ExpertError(_("Enter the day rate that goes with the currency, or clear the currency."), "day_rate")
        return None, None
    if basis != EngagementBasis.PAID:
        raise ExpertError(
            "A day rate applies to paid consultants only: change the basis or clear the rate.", "day_rate"
        )
    try:
        return money_pair(amount, currency, _("the day rate"))
    except PairError as error:
        raise ExpertError(str(error), "day_rate" if error.part == "amount" else "day_rate_currency") from None


def check_organisation(organisation_id, field: str) -> int | None:
    if organisation_id in (None, "", 0, "0"):
        return None
    organisation = db.session.get(Organisation, int(organisation_id))
    if organisation is None:
        raise ExpertError(_("Choose an organisation from the directory."), field)
    return organisation.id


def check_pools(centre_id: int, pool_ids) -> list[ExpertPool]:
    ids = {int(pool_id) for pool_id in pool_ids or [] if str(pool_id).strip()}
    if not ids:
        return []
    pools = db.session.scalars(sa.select(ExpertPool).where(ExpertPool.id.in_(ids))).all()
    if len(pools) != len(ids) or any(pool.centre_id != centre_id for pool in pools):
        raise ExpertError(_("Choose pools of the expert's own centre."), "pools")
    return sorted(pools, key=lambda pool: pool.name)


def _enum_value(kind, raw, field: str, refusal: str):
    try:
        return kind(raw)
    except ValueError:
        raise ExpertError(refusal, field) from None


def find_duplicate(centre_id: int, name: str, email: str, exclude_id: int | None = None) -> Expert | None:
    """Another expert of the centre with the same name and e-mail (both compared regardless of case)."""
    if not email:
        return None
    stmt = sa.select(Expert).where(
        Expert.centre_id == centre_id,
        sa.func.lower(Expert.name) == name.lower(),
        sa.func.lower(Expert.email) == email.lower(),
    )
    if exclude_id is not None:
        stmt = stmt.where(Expert.id != exclude_id)
    return db.session.scalars(stmt).first()


# --- writing ------------------------------------------------------------------


class Roster:
    """Where a save looks up what an expert is checked against: the centre's other experts (duplicates), its pools
    and the directory, and how a new expert is written. This one asks the database each time and writes each
    expert as it is saved; ``RosterBatch`` reads them once and writes new experts in bulk, for an import."""

    def duplicate(self, centre_id: int, name: str, email: str, expert: Expert | None) -> bool:
        return find_duplicate(centre_id, name, email, expert.id if expert else None) is not None

    def organisation(self, organisation_id, field: str) -> int | None:
        return check_organisation(organisation_id, field)

    def pools(self, centre_id: int, pool_ids) -> list[ExpertPool]:
        return check_pools(centre_id, pool_ids)

    def create(self, centre_id: int, values: dict, pools: list[ExpertPool]) -> Expert | None:
        expert = create_or_update(Expert, None, values, centre_id=centre_id)
        return self.update(expert, {}, pools)

    def update(self, expert: Expert, values: dict, pools: list[ExpertPool]) -> Expert:
        expert = create_or_update(Expert, expert, values)
        expert.pools = pools
        _index_tags(expert)
        db.session.flush()
        return expert


class RosterBatch(Roster):
    """Many experts of one centre saved together (a spreadsheet import): every rule of ``save_expert``, with the
    centre's name-and-e-mail pairs, its pools and the directory's ids read once. New experts are written
    ``write_every`` at a time, each with its pools, search index and audit entry, in a few INSERTs
    (``crm.core.records.create_many``); an updated one through the ORM, flushed ``write_every`` at a time. Call
    ``finish`` after the last."""

    def __init__(self, centre_id: int, write_every: int = 1000):
        self.centre_id = centre_id
        self.write_every = write_every
        self.unflushed = 0
        pairs = db.session.execute(
            sa.select(Expert.id, Expert.name, Expert.email).where(Expert.centre_id == centre_id, Expert.email != "")
        )
        # (name, e-mail) regardless of case → the expert's id, or the new expert's row until it is written.
        self.taken: dict[tuple[str, str], object] = {(name.lower(), email.lower()): id_ for id_, name, email in pairs}
        self.held = {holder: key for key, holder in self.taken.items()}
        self.known_pools = {
            pool.id: pool for pool in db.session.scalars(sa.select(ExpertPool).where(ExpertPool.centre_id == centre_id))
        }
        self.organisation_ids = set(db.session.scalars(sa.select(Organisation.id)))
        self.new: list[_NewExpert] = []

    def duplicate(self, centre_id, name, email, expert) -> bool:
        if not email:
            return False
        holder = self.taken.get((name.lower(), email.lower()))
        return holder is not None and holder not in (expert, getattr(expert, "id", None))

    def organisation(self, organisation_id, field):
        if organisation_id in (None, "", 0, "0"):
            return None
        if int(organisation_id) not in self.organisation_ids:
            raise ExpertError(_("Choose an organisation from the directory."), field)
        return int(organisation_id)

    def pools(self, centre_id, pool_ids):
        ids = {int(pool_id) for pool_id in pool_ids or [] if str(pool_id).strip()}
        if not ids <= self.known_pools.keys():
            raise ExpertError(_("Choose pools of the expert's own centre."), "pools")
        return sorted((self.known_pools[i] for i in ids), key=lambda pool: pool.name)

    def create(self, centre_id, values, pools):
        new = _NewExpert(centre_id, values, pools)
        self.new.append(new)
        self.hold(new, values["name"], values["email"])
        if len(self.new) >= self.write_every:
            self.write_new()
        return None

    def update(self, expert, values, pools):
        expert = create_or_update(Expert, expert, values)
        expert.pools = pools
        _index_tags(expert)
        self.hold(expert.id, expert.name, expert.email)
        self.unflushed += 1
        if self.unflushed >= self.write_every:
            db.session.flush()
            self.unflushed = 0
        return expert

    def hold(self, holder, name: str, email: str) -> None:
        """``holder`` (an expert's id, or a new expert's row) now has this name and e-mail; its old pair is free."""
        previous = self.held.pop(holder, None)
        if previous is not None:
            self.taken.pop(previous, None)
        if email:
            key = (name.lower(), email.lower())
            self.taken[key] = holder
            self.held[holder] = key

    def write_new(self) -> None:
        if not self.new:
            return
        rows = [new.row() for new in self.new]
        members = [{"pools": [pool.audit_label() for pool in new.pools]} for new in self.new]
        ids = create_many(Expert, rows, members)
        memberships = [
            {"expert_id": i, "pool_id": pool.id} for i, new in zip(ids, self.new, strict=True) for pool in new.pools
        ]
        if memberships:
            db.session.execute(sa.insert(pool_memberships), memberships)
        tags = [
            {"expert_id": i, "facet": facet, "value": value}
            for i, new in zip(ids, self.new, strict=True)
            for facet, value in sorted(tags_of(new.values["targets"], new.values["languages"], new.values["themes"]))
        ]
        if tags:
            db.session.execute(sa.insert(ExpertTag.__table__), tags)
        # Ids from now on, so that the rows written are not kept in memory.
        for record_id, new in zip(ids, self.new, strict=True):
            key = self.held.pop(new, None)
            if key is not None:
                self.taken[key], self.held[record_id] = record_id, key
        self.new.clear()

    def finish(self) -> None:
        db.session.flush()
        self.unflushed = 0
        self.write_new()


class _NewExpert:
    """A new expert of a batch, checked, until it is written."""

    __slots__ = ("centre_id", "values", "pools")

    def __init__(self, centre_id: int, values: dict, pools: list[ExpertPool]):
        self.centre_id, self.values, self.pools = centre_id, values, pools

    def row(self) -> dict:
        row = {key: value for key, value in self.values.items() if key != "listed"}
        listed = self.values["listed"]
        return row | {"centre_id": self.centre_id, "listed_on": listed.start, "listed_precision": listed.precision}


def _values(centre_id: int, data: dict, expert: Expert | None, roster: Roster) -> dict:
    name = " ".join((data.get("name") or "").split())
    if not name:
        raise ExpertError(_("Enter the expert's name."), "name")
    email = (data.get("email") or "").strip()
    if roster.duplicate(centre_id, name, email, expert):
        raise ExpertError(
            _("%(name)s with the e-mail %(email)s is already on this centre's roster.", name=name, email=email), "email"
        )
    basis = _enum_value(
        EngagementBasis, data.get("engagement_basis"), "engagement_basis", _("Choose the engagement basis.")
    )
    day_rate, currency = check_day_rate(basis, data.get("day_rate"), data.get("day_rate_currency"))
    try:
        targets = check_targets(data.get("targets") or [])
    except ValueError as error:
        raise ExpertError(str(error), "targets") from None
    provider_id = roster.organisation(data.get("provider_id"), "provider_id")
    return {
        "name": name,
        "other_names": (data.get("other_names") or "").strip(),
        "nationality": check_country(data.get("nationality"), "nationality"),
        "residence_country": check_country(data.get("residence_country"), "residence_country"),
        "affiliation_id": roster.organisation(data.get("affiliation_id"), "affiliation_id"),
        "position": (data.get("position") or "").strip(),
        "email": email,
        "phone": (data.get("phone") or "").strip(),
        "contact_notes": (data.get("contact_notes") or "").strip(),
        "languages": check_languages(data.get("languages")),
        "targets": targets,
        "themes": check_themes(data.get("themes")),
        "engagement_basis": basis,
        "day_rate": day_rate,
        "day_rate_currency": currency,
        "provider_id": provider_id if basis == EngagementBasis.PARTNER else None,
        "availability": _enum_value(
            Availability, data.get("availability"), "availability", _("Choose the availability.")
        ),
        "availability_until": data.get("availability_until"),
        "vetting": _enum_value(
            Vetting, data.get("vetting") or Vetting.PROPOSED, "vetting", _("Choose the vetting status.")
        ),
        "notes": (data.get("notes") or "").strip(),
        "listed": data.get("listed") or (expert.listed if expert else PartialDate(date.today())),
    }


def wanted_tags(expert: Expert) -> set[tuple[str, str]]:
    """The (facet, value) rows of the search index the lists on the record call for."""
    return tags_of(expert.targets, expert.languages, expert.themes)


def tags_of(targets, languages, themes) -> set[tuple[str, str]]:
    return (
        {(TagFacet.TARGET.value, str(number)) for number in targets}
        | {(TagFacet.LANGUAGE.value, code) for code in languages}
        | {(TagFacet.THEME.value, theme.lower()) for theme in themes}
    )


def _index_tags(expert: Expert) -> None:
    """Rewrite the expert's rows of the search index from the lists on the record."""
    wanted = wanted_tags(expert)
    existing = {(tag.facet, tag.value): tag for tag in expert.tags}
    for key, tag in existing.items():
        if key not in wanted:
            expert.tags.remove(tag)
    for facet, value in sorted(wanted - existing.keys()):
        expert.tags.append(ExpertTag(facet=facet, value=value))


def save_expert(expert: Expert | None, centre_id: int, data: dict, roster: Roster | None = None) -> Expert | None:
    """Create (expert is None) or update an expert of ``centre_id`` from form-like data; all or nothing.

    ``roster`` is where the checks look things up and how the expert is written (a ``RosterBatch`` for many experts
    at once, which writes a new one later and returns None)."""
    roster = roster or Roster()
    values = _values(centre_id, data, expert, roster)
    pools = roster.pools(centre_id, data.get("pools"))
    if expert is None:
        return roster.create(centre_id, values, pools)
    return roster.update(expert, values, pools)


def attach_cv(expert: Expert, file_storage, user_id: int | None) -> ExpertCv:
    """Keep an uploaded CV (PDF or DOCX, checked by content), replacing the previous one and its file."""
    try:
        upload = store(file_storage)
    except UploadError as error:
        raise ExpertError(str(error), "cv") from None
    if expert.cv is not None:
        expert.cv.delete_file()
        db.session.delete(expert.cv)
        db.session.flush()
    cv = ExpertCv(expert=expert, uploaded_by_id=user_id)
    cv.fill_from(upload)
    db.session.add(cv)
    db.session.flush()
    return cv


def add_engagement(expert: Expert, activity: str, started_on: date, ended_on: date | None, days) -> ExpertEngagement:
    activity = " ".join((activity or "").split())
    if not activity:
        raise ExpertError(_("Name the activity or proposal."), "activity")
    if ended_on is not None and ended_on < started_on:
        raise ExpertError(_("The engagement cannot end before it starts."), "ended_on")
    try:
        days = check_quantity(days, _("Days worked"), allow_zero=True)
    except AmountError as error:
        raise ExpertError(str(error), "days_worked") from None
    if days != days.quantize(Decimal("0.1")):
        raise ExpertError(_("Days worked is zero or more, to one decimal place."), "days_worked")
    engagement = ExpertEngagement(expert=expert, activity=activity, started_on=started_on, ended_on=ended_on)
    engagement.days_worked = days
    db.session.add(engagement)
    db.session.flush()
    return engagement


def remove_engagement(engagement: ExpertEngagement) -> None:
    db.session.delete(engagement)
    db.session.flush()


def save_pool(
    pool: ExpertPool | None, centre_id: int, name: str, description: str, status: str = PoolStatus.ESTABLISHED
) -> ExpertPool:
    name = " ".join((name or "").split())
    try:
        status = PoolStatus(status or PoolStatus.ESTABLISHED)
    except ValueError:
        raise ExpertError(_("Choose the pool's status."), "status") from None
    if not name:
        raise ExpertError(_("Name the pool."), "name")
    clash = db.session.scalar(
        sa.select(ExpertPool.id).where(
            ExpertPool.centre_id == centre_id, sa.func.lower(ExpertPool.name) == name.lower()
        )
    )
    if clash is not None and (pool is None or clash != pool.id):
        raise ExpertError(_("This centre already has a pool called %(name)s.", name=name), "name")
    if pool is None:
        pool = ExpertPool(centre_id=centre_id, name=name, description=(description or "").strip(), status=status)
        db.session.add(pool)
    else:
        pool.name, pool.description, pool.status = name, (description or "").strip(), status
    db.session.flush()
    return pool


def deletion_of_pool(pool: ExpertPool) -> Deletion:
    members = db.session.scalar(sa.select(sa.func.count()).where(pool_memberships.c.pool_id == pool.id))
    also = (
        ngettext(
            "%(num)d membership (the experts stay on the roster)",
            "%(num)d memberships (the experts stay on the roster)",
            members,
        )
        if members
        else None
    )
    return deletion(pool, _("the pool “%(name)s”", name=pool.name), consequences(also))


def delete_pool(pool: ExpertPool) -> None:
    """Delete a pool; its members leave it through their own records, so each expert's history says so."""
    check = deletion_of_pool(pool)
    if not check.blocked:
        members = db.session.scalars(
            sa.select(Expert).join(pool_memberships).where(pool_memberships.c.pool_id == pool.id)
        ).all()
        for expert in members:
            expert.pools.remove(pool)
    delete_record(pool, check, ExpertError)


# --- erasure ------------------------------------------------------------------


def erase_expert(expert: Expert) -> None:
    """Delete an expert at their request: the record, its CV file and the personal values in the audit log.

    The log keeps that an expert of this centre was created, changed and deleted (anonymous
    counts), and the non-personal fields (targets, languages, basis...). Audit entries are
    never changed through the ORM (the mapper refuses); this scrub is the one deliberate
    exception, done here with a plain SQL UPDATE inside the same transaction as the delete.
    """
    expert_id = expert.id
    cv_ids = [expert.cv.id] if expert.cv is not None else []
    if expert.cv is not None:
        expert.cv.delete_file()
    db.session.delete(expert)
    db.session.flush()
    _scrub_audit_entries("experts", [expert_id], Expert.PERSONAL)
    _scrub_audit_entries("expert_cvs", cv_ids, ("original_name",))


def _scrub_audit_entries(entity: str, entity_ids: list[int], personal: tuple[str, ...]) -> None:
    if not entity_ids:
        return
    table = AuditEntry.__table__
    connection = db.session.connection()
    rows = connection.execute(
        sa.select(table.c.id, table.c.changes).where(table.c.entity == entity, table.c.entity_id.in_(entity_ids))
    ).all()
    for entry_id, changes in rows:
        scrubbed = {
            field: ([None if value in (None, "") else ERASED for value in pair] if field in personal else pair)
            for field, pair in (changes or {}).items()
        }
        connection.execute(sa.update(table).where(table.c.id == entry_id).values(changes=scrubbed))
