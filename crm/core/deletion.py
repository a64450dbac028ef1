"""Deleting a record a user entered by mistake: what goes with it, or why it may not go.

Each domain's service says so with ``Deletion`` (``deletion_of...``) and deletes through the
ORM, so that the audit log keeps every row removed. The views share ``delete_page``: a GET
shows what would be lost, a POST deletes, and a refused POST keeps the page with its reason.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext

from crm.core.errors import RuleError
from crm.core.models import model_classes
from crm.extensions import db


@dataclass(frozen=True)
class Deletion:
    what: str  # "the partnership with GIZ"
    also: list[str] = field(default_factory=list)  # ["3 contacts", "1 interaction"]
    blocked: str = ""  # why it may not be deleted, in words; empty when it may


# A count of each kind of record, by table name (and the few other things a confirmation counts), in the reader's
# language: one ngettext per noun, as Russian has three plural forms ("1 контакт", "3 контакта", "5 контактов").
COUNTS = {
    "agreement_documents": lambda n: ngettext("%(num)d agreement document", "%(num)d agreement documents", n),
    "agreement_steps": lambda n: ngettext("%(num)d agreement step", "%(num)d agreement steps", n),
    "agreements": lambda n: ngettext("%(num)d agreement", "%(num)d agreements", n),
    "amendments": lambda n: ngettext("%(num)d amendment", "%(num)d amendments", n),
    "challenges": lambda n: ngettext("%(num)d challenge", "%(num)d challenges", n),
    "contacts": lambda n: ngettext("%(num)d contact", "%(num)d contacts", n),
    "exchange_rates": lambda n: ngettext("%(num)d exchange rate", "%(num)d exchange rates", n),
    "expert_pools": lambda n: ngettext("%(num)d expert pool", "%(num)d expert pools", n),
    "experts": lambda n: ngettext("%(num)d expert", "%(num)d experts", n),
    "funding_mechanisms": lambda n: ngettext("%(num)d funding mechanism", "%(num)d funding mechanisms", n),
    "funding_needs": lambda n: ngettext("%(num)d funding need", "%(num)d funding needs", n),
    "interactions": lambda n: ngettext("%(num)d interaction", "%(num)d interactions", n),
    "ledger_entries": lambda n: ngettext("%(num)d ledger entry", "%(num)d ledger entries", n),
    "ledger_rollups": lambda n: ngettext("%(num)d ledger rollup", "%(num)d ledger rollups", n),
    "ledger_rollups_by_centre": lambda n: ngettext(
        "%(num)d ledger centre rollup", "%(num)d ledger rollups by centre", n
    ),
    "mobilisation_strategies": lambda n: ngettext(
        "%(num)d mobilisation strategy", "%(num)d mobilisation strategies", n
    ),
    "organisations": lambda n: ngettext("%(num)d organisation", "%(num)d organisations", n),
    "partnerships": lambda n: ngettext("%(num)d partnership", "%(num)d partnerships", n),
    "proposal_documents": lambda n: ngettext("%(num)d proposal document", "%(num)d proposal documents", n),
    "proposal_partners": lambda n: ngettext("%(num)d proposal partner", "%(num)d proposal partners", n),
    "proposals": lambda n: ngettext("%(num)d proposal", "%(num)d proposals", n),
    "report_outputs": lambda n: ngettext("%(num)d report output", "%(num)d report outputs", n),
    "report_sections": lambda n: ngettext("%(num)d report section", "%(num)d report sections", n),
    "strategy_sources": lambda n: ngettext("%(num)d strategy source", "%(num)d strategy sources", n),
    "strategy_steps": lambda n: ngettext("%(num)d strategy step", "%(num)d strategy steps", n),
    "tranches": lambda n: ngettext("%(num)d tranche", "%(num)d tranches", n),
    "agreement_counterparts": lambda n: ngettext(
        "%(num)d link in agreement counterparts", "%(num)d links in agreement counterparts", n
    ),
    "ledger_entry_proposals": lambda n: ngettext(
        "%(num)d link in ledger entry proposals", "%(num)d links in ledger entry proposals", n
    ),
    "status_steps": lambda n: ngettext("%(num)d status step", "%(num)d status steps", n),
    "document_versions": lambda n: ngettext("%(num)d document version", "%(num)d document versions", n),
    "memberships": lambda n: ngettext("%(num)d membership", "%(num)d memberships", n),
}


def counted(number: int, noun: str, plural: str | None = None) -> str | None:
    """'1 contact', '3 contacts' (``noun``: a key of COUNTS, as a rule a table's name); None for none, so that lists
    of consequences skip it. A noun COUNTS lacks reads in English: '1 thing', '2 things' (or ``plural``)."""
    if not number:
        return None
    words = COUNTS.get(noun)
    if words is not None:
        return words(number)
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def consequences(*items: str | None) -> list[str]:
    return [item for item in items if item]


def blocking_references(record) -> list[str]:
    """Rows of other tables that name ``record`` with no ON DELETE rule ('2 ledger entries'): the database
    would refuse the deletion, so the user is told first. Found from the schema, so that a reference
    added later is covered too."""
    table = record.__table__
    classes = model_classes()
    found = []
    for other in db.metadata.sorted_tables:
        for key in other.foreign_keys:
            if key.column.table is table and key.ondelete is None and other is not table:
                number = db.session.scalar(sa.select(sa.func.count()).select_from(other).where(key.parent == record.id))
                name = other.name.replace("_", " ")
                if other.name in COUNTS:
                    found.append(counted(number, other.name))
                elif other in classes:
                    singular = re.sub(r"(?<!^)(?=[A-Z])", " ", classes[other].__name__).lower()  # LedgerEntry
                    found.append(counted(number, singular, name))
                else:  # a link table
                    found.append(counted(number, f"link in {name}", f"links in {name}"))
    return consequences(*found)


def deletion(record, what: str, also: list[str], advice: str = "") -> Deletion:
    """What deleting ``record`` takes with it, refused while other records name it (``advice`` says what to do)."""
    blocking = blocking_references(record)
    if not blocking:
        return Deletion(what, also)
    one = len(blocking) == 1 and blocking[0].startswith("1 ")
    # The verb agrees with what blocks: "1 agreement names it", "2 agreements name it".
    refusal = ngettext(
        "It cannot be deleted: %(records)s names it.",
        "It cannot be deleted: %(records)s name it.",
        1 if one else 2,
        records=_(" and ").join(blocking),
    )
    return Deletion(what, also, f"{refusal} {advice}".strip())


def delete_record(record, check: Deletion, refused: type[RuleError] = RuleError) -> None:
    """Delete ``record`` through the ORM (the audit log keeps every row removed), unless ``check`` refuses it."""
    if check.blocked:
        raise refused(check.blocked)
    db.session.delete(record)
    db.session.flush()


def delete_page(deletion: Deletion, delete: Callable[[], None], cancel_url: str, done_url: str):
    """The confirmation page of a deletion, and the deletion itself on POST (409 when it is refused)."""
    if request.method == "POST" and not deletion.blocked:
        delete()
        flash(_("Deleted %(what)s.", what=deletion.what), "success")
        return redirect(done_url)
    status = 409 if request.method == "POST" else 200
    return render_template("confirm_delete.html", deletion=deletion, cancel_url=cancel_url), status
