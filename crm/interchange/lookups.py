"""Finding the records a cell names: by the ref an export writes (ORG-12, PRO-7...) or by name, in one query per
kind of record and sheet, within what the importing centre may name.

A name may match several records (two organisations whose names fold alike): the row then keeps the one it
already names, if any, else the cell asks for the ref. A ref to a record the centre cannot name (another
centre's, or none) reads "is not ... of <centre>", whether or not such a record exists elsewhere.
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import pgettext

from crm.agreements.models import Agreement
from crm.auth.models import User, memberships
from crm.experts.models import ExpertPool
from crm.extensions import db
from crm.funding.models import LedgerEntry
from crm.interchange.cells import CellError
from crm.partners.models import Organisation, OrganisationType, Partnership
from crm.partners.services import fold
from crm.proposals.models import FundingMechanism, Proposal

REF = re.compile(r"^\s*([A-Za-z]+)\s*-\s*(\d{1,12})\s*$")


def ref_id(text: str, prefix: str) -> int | None:
    """The id in a ref such as "EXP-123" (any case, spaces allowed), or None when ``text`` is no such ref."""
    match = REF.match(text or "")
    if match and match.group(1).upper() == prefix:
        return int(match.group(2))
    return None


@dataclass
class Index:
    """The records of one kind a sheet may name: by id (for refs) and by folded name."""

    prefix: str  # the refs of this kind: ORG, POOL...
    what: str  # "an organisation of the directory", "a pool of TSCC-NIES", in the reader's language
    hint: str  # what to do when nothing matches, in the reader's language
    ids: set[int] = field(default_factory=set)
    names: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    labels: dict[int, str] = field(default_factory=dict)

    def add(self, record_id: int, label: str, keys: Iterable[str]) -> None:
        self.ids.add(record_id)
        self.labels[record_id] = label
        for key in dict.fromkeys(keys):
            if key and record_id not in self.names[key]:
                self.names[key].append(record_id)

    def candidates(self, text: str) -> list[int]:
        """The ids ``text`` may mean (one, or several for an ambiguous name); CellError when none."""
        number = ref_id(text, self.prefix)
        if number is not None:
            if number not in self.ids:
                raise CellError(_("%(ref)s is not %(what)s.", ref=f"{self.prefix}-{number}", what=self.what))
            return [number]
        found = self.names.get(self.key(text), [])
        if not found:
            raise CellError(_("“%(text)s” is not %(what)s: %(hint)s", text=text[:60], what=self.what, hint=self.hint))
        return found

    def key(self, text: str) -> str:
        return fold(text)

    def choose(self, text: str, found: list[int], current: Iterable[int] = ()) -> int:
        """One of ``found``: the only one, or the one the row already names; else CellError listing them."""
        if len(found) == 1:
            return found[0]
        kept = [record_id for record_id in found if record_id in set(current)]
        if len(kept) == 1:
            return kept[0]
        listed = "; ".join(f"{self.prefix}-{i} {self.labels[i]}" for i in found[:5])
        raise CellError(
            _(
                "“%(text)s” may be any of %(count)s: %(listed)s. Write the ref of the one you mean.",
                text=text[:60],
                count=len(found),
                listed=listed,
            )
        )


class OrganisationIndex(Index):
    """The directory: every name in any script and the acronym, folded as the directory's duplicate check folds."""

    def candidates(self, text: str) -> list[int]:
        try:
            return super().candidates(text)
        except CellError:
            by_acronym = self.names.get("acronym:" + fold(text).replace(" ", ""), [])
            if by_acronym:
                return by_acronym
            raise


def organisations(context) -> Index:
    index = OrganisationIndex(
        "ORG",
        pgettext("is not …", "an organisation of the directory"),
        _("add it in the organisations sheet, or on the Organisations page, or write its ref (ORG-12)."),
    )
    rows = db.session.execute(sa.select(Organisation.id, Organisation.name, Organisation.match_keys))
    for record_id, name, keys in rows:
        index.add(record_id, name, (keys or "").strip("|").split("|"))
    return index


def organisation_types(context) -> Index:
    index = Index("TYPE", pgettext("is not …", "a type of organisation"), _("use a code or name from the Notes sheet."))
    for kind in db.session.scalars(sa.select(OrganisationType)):
        index.add(kind.id, kind.name, (fold(kind.code.replace("_", " ")), fold(kind.name)))
    return index


def partnerships(context) -> Index:
    """The centre's partnerships, named by their organisation (any of its names) or by PAR-12."""
    index = Index(
        "PAR",
        pgettext("is not …", "a partner of %(centre)s", centre=context.centre.code),
        _("add the partnership in the partnerships sheet first."),
    )
    rows = db.session.execute(
        sa.select(Partnership.id, Organisation.name, Organisation.match_keys)
        .join(Organisation, Organisation.id == Partnership.organisation_id)
        .where(Partnership.centre_id == context.centre.id)
    )
    for record_id, name, keys in rows:
        index.add(record_id, name, (keys or "").strip("|").split("|"))
    return index


def _by_text(prefix: str, what: str, hint: str, column, model, context) -> Index:
    index = Index(prefix, what, hint)
    for record_id, text in db.session.execute(sa.select(model.id, column).where(model.centre_id == context.centre.id)):
        index.add(record_id, text, (fold(text),))
    return index


def pools(context) -> Index:
    what = pgettext("is not …", "a pool of %(centre)s", centre=context.centre.code)
    return _by_text("POOL", what, _("add it in the pools sheet or on the Pools page."), ExpertPool.name, ExpertPool,
                    context)  # fmt: skip


def agreements(context) -> Index:
    what = pgettext("is not …", "an agreement of %(centre)s", centre=context.centre.code)
    return _by_text("AGR", what, _("write its title as recorded, or its ref."), Agreement.title, Agreement, context)


def proposals(context) -> Index:
    what = pgettext("is not …", "a proposal of %(centre)s", centre=context.centre.code)
    return _by_text("PRO", what, _("write its title as recorded, or its ref."), Proposal.title, Proposal, context)


def entries(context) -> Index:
    index = Index(
        "RES",
        pgettext("is not …", "a ledger entry of %(centre)s", centre=context.centre.code),
        _("name the entry by its ref (RES-12), as exported."),
    )
    for record_id in db.session.scalars(sa.select(LedgerEntry.id).where(LedgerEntry.centre_id == context.centre.id)):
        index.add(record_id, f"RES-{record_id}", ())
    return index


class MemberIndex(Index):
    def key(self, text: str) -> str:
        return text.strip().casefold()


def members(context) -> Index:
    index = MemberIndex(
        "USER",
        pgettext("is not …", "a user of %(centre)s", centre=context.centre.code),
        _("write the e-mail of one of the centre's accounts."),
    )
    rows = db.session.execute(
        sa.select(User.id, User.email).join(memberships).where(memberships.c.centre_id == context.centre.id)
    )
    for record_id, email in rows:
        index.add(record_id, email, (email.casefold(),))
    return index


def mechanisms(context) -> Index:
    index = Index(
        "MEC",
        pgettext("is not …", "a funder's programme or call"),
        _("add it on the Funders page, or leave the cell empty."),
    )
    for record_id, name in db.session.execute(sa.select(FundingMechanism.id, FundingMechanism.name)):
        index.add(record_id, name, (fold(name),))
    return index


BUILDERS = {
    "organisation": organisations,
    "organisation_type": organisation_types,
    "partnership": partnerships,
    "pool": pools,
    "agreement": agreements,
    "proposal": proposals,
    "entry": entries,
    "member": members,
    "mechanism": mechanisms,
}
