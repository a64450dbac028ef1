"""The audit log as a reader sees it: labels for stored codes, partial dates in words, lists joined.

The log keeps what the database held ('under_negotiation', '2025-12-01' + 'month', organisation 12);
history pages show what the forms show ('Under negotiation', 'December 2025', 'GIZ'). The records an
entry's references name are read for a whole page of entries at once: one statement per kind of record.
"""

import calendar
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import cache

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext

from crm.core.models import Audited, model_classes
from crm.core.partial_dates import PartialDate

# Bookkeeping columns are in the log but say nothing to a reader.
BOOKKEEPING = frozenset({"id", "version", "created_at", "updated_at", "password_changed_at"})
NOTHING = "—"


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str

    @property
    def field_label(self) -> str:
        """The field as the history names it, in the reader's language ("other names" → "其他名称")."""
        return field_words(self.field)

    @property
    def sentence(self) -> str:
        """The change as a reader says it: "Award set to CNY 300,000.00", "Stage changed from Contacted to Active"."""
        field = field_words(self.field)
        words = {"field": field[:1].upper() + field[1:], "before": self.before, "after": self.after}
        if self.before == NOTHING:
            return _("%(field)s set to %(after)s", **words)
        if self.after == NOTHING:
            return _("%(field)s cleared (was %(before)s)", **words)
        return _("%(field)s changed from %(before)s to %(after)s", **words)


# A changed field as the history names it, in the reader's language (by its English name); a field added later reads
# in English until it is listed here.
FIELD_WORDS = {
    "acronym": lambda: pgettext("a field in the change history", "acronym"),
    "action": lambda: pgettext("a field in the change history", "action"),
    "active": lambda: pgettext("a field in the change history", "active"),
    "activity": lambda: pgettext("a field in the change history", "activity"),
    "adopted": lambda: pgettext("a field in the change history", "adopted"),
    "affiliation": lambda: pgettext("a field in the change history", "affiliation"),
    "agreed": lambda: pgettext("a field in the change history", "agreed"),
    "agreement": lambda: pgettext("a field in the change history", "agreement"),
    "amount": lambda: pgettext("a field in the change history", "amount"),
    "amount requested": lambda: pgettext("a field in the change history", "amount requested"),
    "area": lambda: pgettext("a field in the change history", "area"),
    "areas": lambda: pgettext("a field in the change history", "areas"),
    "attendees": lambda: pgettext("a field in the change history", "attendees"),
    "availability": lambda: pgettext("a field in the change history", "availability"),
    "availability until": lambda: pgettext("a field in the change history", "availability until"),
    "award": lambda: pgettext("a field in the change history", "award"),
    "awarded currency": lambda: pgettext("a field in the change history", "awarded currency"),
    "base": lambda: pgettext("a field in the change history", "base"),
    "booked on": lambda: pgettext("a field in the change history", "booked on"),
    "categories": lambda: pgettext("a field in the change history", "categories"),
    "category": lambda: pgettext("a field in the change history", "category"),
    "centre": lambda: pgettext("a field in the change history", "centre"),
    "centres": lambda: pgettext("a field in the change history", "centres"),
    "challenge": lambda: pgettext("a field in the change history", "challenge"),
    "challenges": lambda: pgettext("a field in the change history", "challenges"),
    "changed on": lambda: pgettext("a field in the change history", "changed on"),
    "code": lambda: pgettext("a field in the change history", "code"),
    "contact notes": lambda: pgettext("a field in the change history", "contact notes"),
    "counterparts": lambda: pgettext("a field in the change history", "counterparts"),
    "country": lambda: pgettext("a field in the change history", "country"),
    "created by": lambda: pgettext("a field in the change history", "created by"),
    "currency": lambda: pgettext("a field in the change history", "currency"),
    "day rate": lambda: pgettext("a field in the change history", "day rate"),
    "day rate currency": lambda: pgettext("a field in the change history", "day rate currency"),
    "days worked": lambda: pgettext("a field in the change history", "days worked"),
    "deadline on": lambda: pgettext("a field in the change history", "deadline on"),
    "decided at": lambda: pgettext("a field in the change history", "decided at"),
    "decision on": lambda: pgettext("a field in the change history", "decision on"),
    "description": lambda: pgettext("a field in the change history", "description"),
    "details": lambda: pgettext("a field in the change history", "details"),
    "done": lambda: pgettext("a field in the change history", "done"),
    "due": lambda: pgettext("a field in the change history", "due"),
    "due on": lambda: pgettext("a field in the change history", "due on"),
    "effective": lambda: pgettext("a field in the change history", "effective"),
    "effective on": lambda: pgettext("a field in the change history", "effective on"),
    "eligibility notes": lambda: pgettext("a field in the change history", "eligibility notes"),
    "email": lambda: pgettext("a field in the change history", "email"),
    "ended on": lambda: pgettext("a field in the change history", "ended on"),
    "ends on": lambda: pgettext("a field in the change history", "ends on"),
    "engaged": lambda: pgettext("a field in the change history", "engaged"),
    "engagement basis": lambda: pgettext("a field in the change history", "engagement basis"),
    "entry": lambda: pgettext("a field in the change history", "entry"),
    "expected on": lambda: pgettext("a field in the change history", "expected on"),
    "expert": lambda: pgettext("a field in the change history", "expert"),
    "expiry": lambda: pgettext("a field in the change history", "expiry"),
    "filed on": lambda: pgettext("a field in the change history", "filed on"),
    "findings": lambda: pgettext("a field in the change history", "findings"),
    "follow up": lambda: pgettext("a field in the change history", "follow up"),
    "funder": lambda: pgettext("a field in the change history", "funder"),
    "host country": lambda: pgettext("a field in the change history", "host country"),
    "host institution": lambda: pgettext("a field in the change history", "host institution"),
    "imported at": lambda: pgettext("a field in the change history", "imported at"),
    "imported by": lambda: pgettext("a field in the change history", "imported by"),
    "is hidden": lambda: pgettext("a field in the change history", "is hidden"),
    "is out of order": lambda: pgettext("a field in the change history", "is out of order"),
    "is over outstanding": lambda: pgettext("a field in the change history", "is over outstanding"),
    "is yearly": lambda: pgettext("a field in the change history", "is yearly"),
    "key": lambda: pgettext("a field in the change history", "key"),
    "key figures": lambda: pgettext("a field in the change history", "key figures"),
    "kind": lambda: pgettext("a field in the change history", "kind"),
    "kmgbf targets": lambda: pgettext("a field in the change history", "kmgbf targets"),
    "label": lambda: pgettext("a field in the change history", "label"),
    "language": lambda: pgettext("a field in the change history", "language"),
    "languages": lambda: pgettext("a field in the change history", "languages"),
    "launched on": lambda: pgettext("a field in the change history", "launched on"),
    "links": lambda: pgettext("a field in the change history", "links"),
    "listed": lambda: pgettext("a field in the change history", "listed"),
    "locale": lambda: pgettext("a field in the change history", "locale"),
    "match keys": lambda: pgettext("a field in the change history", "match keys"),
    "mechanism": lambda: pgettext("a field in the change history", "mechanism"),
    "merged into": lambda: pgettext("a field in the change history", "merged into"),
    "name": lambda: pgettext("a field in the change history", "name"),
    "nationality": lambda: pgettext("a field in the change history", "nationality"),
    "next review": lambda: pgettext("a field in the change history", "next review"),
    "next step": lambda: pgettext("a field in the change history", "next step"),
    "next step on": lambda: pgettext("a field in the change history", "next step on"),
    "note": lambda: pgettext("a field in the change history", "note"),
    "noted": lambda: pgettext("a field in the change history", "noted"),
    "notes": lambda: pgettext("a field in the change history", "notes"),
    "occurred": lambda: pgettext("a field in the change history", "occurred"),
    "occurred on": lambda: pgettext("a field in the change history", "occurred on"),
    "organisation": lambda: pgettext("a field in the change history", "organisation"),
    "original name": lambda: pgettext("a field in the change history", "original name"),
    "other names": lambda: pgettext("a field in the change history", "other names"),
    "outcome": lambda: pgettext("a field in the change history", "outcome"),
    "owner": lambda: pgettext("a field in the change history", "owner"),
    "parties": lambda: pgettext("a field in the change history", "parties"),
    "partnership": lambda: pgettext("a field in the change history", "partnership"),
    "password hash": lambda: pgettext("a field in the change history", "password hash"),
    "period": lambda: pgettext("a field in the change history", "period"),
    "phone": lambda: pgettext("a field in the change history", "phone"),
    "plural name": lambda: pgettext("a field in the change history", "plural name"),
    "pools": lambda: pgettext("a field in the change history", "pools"),
    "position": lambda: pgettext("a field in the change history", "position"),
    "probability": lambda: pgettext("a field in the change history", "probability"),
    "proposal": lambda: pgettext("a field in the change history", "proposal"),
    "proposals": lambda: pgettext("a field in the change history", "proposals"),
    "provider": lambda: pgettext("a field in the change history", "provider"),
    "purpose": lambda: pgettext("a field in the change history", "purpose"),
    "purpose detail": lambda: pgettext("a field in the change history", "purpose detail"),
    "quantity": lambda: pgettext("a field in the change history", "quantity"),
    "quote": lambda: pgettext("a field in the change history", "quote"),
    "rate": lambda: pgettext("a field in the change history", "rate"),
    "rate on": lambda: pgettext("a field in the change history", "rate on"),
    "reason": lambda: pgettext("a field in the change history", "reason"),
    "received on": lambda: pgettext("a field in the change history", "received on"),
    "recorded at": lambda: pgettext("a field in the change history", "recorded at"),
    "recorded by": lambda: pgettext("a field in the change history", "recorded by"),
    "reference": lambda: pgettext("a field in the change history", "reference"),
    "report area": lambda: pgettext("a field in the change history", "report area"),
    "reporting currency": lambda: pgettext("a field in the change history", "reporting currency"),
    "requested currency": lambda: pgettext("a field in the change history", "requested currency"),
    "residence country": lambda: pgettext("a field in the change history", "residence country"),
    "resolved": lambda: pgettext("a field in the change history", "resolved"),
    "responsible": lambda: pgettext("a field in the change history", "responsible"),
    "revision": lambda: pgettext("a field in the change history", "revision"),
    "role": lambda: pgettext("a field in the change history", "role"),
    "rows": lambda: pgettext("a field in the change history", "rows"),
    "scope": lambda: pgettext("a field in the change history", "scope"),
    "scope agreement": lambda: pgettext("a field in the change history", "scope agreement"),
    "scope entry": lambda: pgettext("a field in the change history", "scope entry"),
    "section": lambda: pgettext("a field in the change history", "section"),
    "session token": lambda: pgettext("a field in the change history", "session token"),
    "sha256": lambda: pgettext("a field in the change history", "sha256"),
    "short name": lambda: pgettext("a field in the change history", "short name"),
    "signed": lambda: pgettext("a field in the change history", "signed"),
    "signed place": lambda: pgettext("a field in the change history", "signed place"),
    "size": lambda: pgettext("a field in the change history", "size"),
    "snapshot": lambda: pgettext("a field in the change history", "snapshot"),
    "solution": lambda: pgettext("a field in the change history", "solution"),
    "solutions": lambda: pgettext("a field in the change history", "solutions"),
    "source": lambda: pgettext("a field in the change history", "source"),
    "stage": lambda: pgettext("a field in the change history", "stage"),
    "started on": lambda: pgettext("a field in the change history", "started on"),
    "starts on": lambda: pgettext("a field in the change history", "starts on"),
    "status": lambda: pgettext("a field in the change history", "status"),
    "status since": lambda: pgettext("a field in the change history", "status since"),
    "storage key": lambda: pgettext("a field in the change history", "storage key"),
    "strategy": lambda: pgettext("a field in the change history", "strategy"),
    "submitted at": lambda: pgettext("a field in the change history", "submitted at"),
    "submitted by": lambda: pgettext("a field in the change history", "submitted by"),
    "submitted on": lambda: pgettext("a field in the change history", "submitted on"),
    "summary": lambda: pgettext("a field in the change history", "summary"),
    "targets": lambda: pgettext("a field in the change history", "targets"),
    "themes": lambda: pgettext("a field in the change history", "themes"),
    "title": lambda: pgettext("a field in the change history", "title"),
    "type": lambda: pgettext("a field in the change history", "type"),
    "unit": lambda: pgettext("a field in the change history", "unit"),
    "uploaded at": lambda: pgettext("a field in the change history", "uploaded at"),
    "uploaded by": lambda: pgettext("a field in the change history", "uploaded by"),
    "valid until": lambda: pgettext("a field in the change history", "valid until"),
    "valuation evidence": lambda: pgettext("a field in the change history", "valuation evidence"),
    "valuation method": lambda: pgettext("a field in the change history", "valuation method"),
    "version number": lambda: pgettext("a field in the change history", "version number"),
    "vetting": lambda: pgettext("a field in the change history", "vetting"),
    "void reason": lambda: pgettext("a field in the change history", "void reason"),
    "voided at": lambda: pgettext("a field in the change history", "voided at"),
    "voided by": lambda: pgettext("a field in the change history", "voided by"),
    "website": lambda: pgettext("a field in the change history", "website"),
    "withdraws": lambda: pgettext("a field in the change history", "withdraws"),
    "worked well": lambda: pgettext("a field in the change history", "worked well"),
}


def field_words(name: str) -> str:
    words = FIELD_WORDS.get(name)
    return words() if words is not None else name


# What each audited table's records are called in a sentence; others read as their table's name, singular.
NOUNS = {
    "agreement_steps": "status step",
    "agreement_documents": "agreement document",
    "ledger_entries": "resource",
    "tranches": "receipt",
    "proposal_status_changes": "proposal status",
    "proposal_partners": "proposal partner",
    "expert_pools": "expert pool",
    "expert_engagements": "expert's engagement",
    "funding_mechanisms": "funding mechanism",
    "funding_needs": "funding need",
    "organisation_types": "organisation type",
    "strategy_sources": "source of the strategy",
    "strategy_steps": "step of the strategy",
    "mobilisation_strategies": "resource mobilisation strategy",
}
# Column names a form calls otherwise.
FIELDS = {
    "awarded_amount": "award",
    "requested_amount": "amount requested",
    "day_rate": "day rate",
    "kmgbf_targets": "KMGBF targets",
    "merged_into": "merged into",
    "source": "source",
    "funder": "funder",
}


def noun(entity: str) -> str:
    return NOUNS.get(entity) or entity.replace("_", " ").removesuffix("s")


# Each audited table's headlines, one whole sentence per action, so that each language words it its own way
# (Russian agrees the verb with the noun's gender; Chinese puts the verb first). Made from NOUNS and ``noun``.
HEADLINES = {
    "agreement_documents": {
        "create": _l("Added the agreement document %(label)s"),
        "update": _l("Changed the agreement document %(label)s"),
        "delete": _l("Removed the agreement document %(label)s"),
    },
    "agreement_steps": {
        "create": _l("Added the status step %(label)s"),
        "update": _l("Changed the status step %(label)s"),
        "delete": _l("Removed the status step %(label)s"),
    },
    "agreements": {
        "create": _l("Added the agreement %(label)s"),
        "update": _l("Changed the agreement %(label)s"),
        "delete": _l("Removed the agreement %(label)s"),
    },
    "amendments": {
        "create": _l("Added the amendment %(label)s"),
        "update": _l("Changed the amendment %(label)s"),
        "delete": _l("Removed the amendment %(label)s"),
    },
    "call_deadlines": {
        "create": _l("Added the call deadline %(label)s"),
        "update": _l("Changed the call deadline %(label)s"),
        "delete": _l("Removed the call deadline %(label)s"),
    },
    "centres": {
        "create": _l("Added the centre %(label)s"),
        "update": _l("Changed the centre %(label)s"),
        "delete": _l("Removed the centre %(label)s"),
    },
    "challenges": {
        "create": _l("Added the challenge %(label)s"),
        "update": _l("Changed the challenge %(label)s"),
        "delete": _l("Removed the challenge %(label)s"),
    },
    "contacts": {
        "create": _l("Added the contact %(label)s"),
        "update": _l("Changed the contact %(label)s"),
        "delete": _l("Removed the contact %(label)s"),
    },
    "exchange_rates": {
        "create": _l("Added the exchange rate %(label)s"),
        "update": _l("Changed the exchange rate %(label)s"),
        "delete": _l("Removed the exchange rate %(label)s"),
    },
    "expert_cvs": {
        "create": _l("Added the expert cv %(label)s"),
        "update": _l("Changed the expert cv %(label)s"),
        "delete": _l("Removed the expert cv %(label)s"),
    },
    "expert_engagements": {
        "create": _l("Added the expert's engagement %(label)s"),
        "update": _l("Changed the expert's engagement %(label)s"),
        "delete": _l("Removed the expert's engagement %(label)s"),
    },
    "expert_pools": {
        "create": _l("Added the expert pool %(label)s"),
        "update": _l("Changed the expert pool %(label)s"),
        "delete": _l("Removed the expert pool %(label)s"),
    },
    "experts": {
        "create": _l("Added %(label)s to the roster"),
        "update": _l("Changed %(label)s"),
        "delete": _l("Removed %(label)s from the roster"),
    },
    "funding_mechanisms": {
        "create": _l("Added the funding mechanism %(label)s"),
        "update": _l("Changed the funding mechanism %(label)s"),
        "delete": _l("Removed the funding mechanism %(label)s"),
    },
    "funding_needs": {
        "create": _l("Added the funding need %(label)s"),
        "update": _l("Changed the funding need %(label)s"),
        "delete": _l("Removed the funding need %(label)s"),
    },
    "interactions": {
        "create": _l("Added the interaction %(label)s"),
        "update": _l("Changed the interaction %(label)s"),
        "delete": _l("Removed the interaction %(label)s"),
    },
    "ledger_entries": {
        "create": _l("Added the resource %(label)s"),
        "update": _l("Changed the resource %(label)s"),
        "delete": _l("Removed the resource %(label)s"),
    },
    "mobilisation_strategies": {
        "create": _l("Added the resource mobilisation strategy %(label)s"),
        "update": _l("Changed the resource mobilisation strategy %(label)s"),
        "delete": _l("Removed the resource mobilisation strategy %(label)s"),
    },
    "organisation_types": {
        "create": _l("Added the organisation type %(label)s"),
        "update": _l("Changed the organisation type %(label)s"),
        "delete": _l("Removed the organisation type %(label)s"),
    },
    "organisations": {
        "create": _l("%(label)s added to the directory"),
        "update": _l("Changed the organisation %(label)s"),
        "delete": _l("Removed the organisation %(label)s"),
    },
    "partnerships": {
        "create": _l("Added the partnership %(label)s"),
        "update": _l("Changed the partnership %(label)s"),
        "delete": _l("Removed the partnership %(label)s"),
    },
    "proposal_documents": {
        "create": _l("Added the proposal document %(label)s"),
        "update": _l("Changed the proposal document %(label)s"),
        "delete": _l("Removed the proposal document %(label)s"),
    },
    "proposal_partners": {
        "create": _l("Added the proposal partner %(label)s"),
        "update": _l("Changed the proposal partner %(label)s"),
        "delete": _l("Removed the proposal partner %(label)s"),
    },
    "proposal_status_changes": {
        "create": _l("Added the proposal status %(label)s"),
        "update": _l("Changed the proposal status %(label)s"),
        "delete": _l("Removed the proposal status %(label)s"),
    },
    "proposals": {
        "create": _l("Added the proposal %(label)s"),
        "update": _l("Changed the proposal %(label)s"),
        "delete": _l("Removed the proposal %(label)s"),
    },
    "rate_imports": {
        "create": _l("Added the rate import %(label)s"),
        "update": _l("Changed the rate import %(label)s"),
        "delete": _l("Removed the rate import %(label)s"),
    },
    "report_outputs": {
        "create": _l("Added the report output %(label)s"),
        "update": _l("Changed the report output %(label)s"),
        "delete": _l("Removed the report output %(label)s"),
    },
    "report_sections": {
        "create": _l("Added the report section %(label)s"),
        "update": _l("Changed the report section %(label)s"),
        "delete": _l("Removed the report section %(label)s"),
    },
    "reporting_periods": {
        "create": _l("Added the reporting period %(label)s"),
        "update": _l("Changed the reporting period %(label)s"),
        "delete": _l("Removed the reporting period %(label)s"),
    },
    "strategy_sources": {
        "create": _l("Added the source of the strategy %(label)s"),
        "update": _l("Changed the source of the strategy %(label)s"),
        "delete": _l("Removed the source of the strategy %(label)s"),
    },
    "strategy_steps": {
        "create": _l("Added the step of the strategy %(label)s"),
        "update": _l("Changed the step of the strategy %(label)s"),
        "delete": _l("Removed the step of the strategy %(label)s"),
    },
    "tranches": {
        "create": _l("Added the receipt %(label)s"),
        "update": _l("Changed the receipt %(label)s"),
        "delete": _l("Removed the receipt %(label)s"),
    },
    "users": {
        "create": _l("Added the user %(label)s"),
        "update": _l("Changed the user %(label)s"),
        "delete": _l("Removed the user %(label)s"),
    },
}
# A table added later reads in English until it has its own sentences above.
FALLBACK = {
    "create": "Added the {noun} {label}",
    "update": "Changed the {noun} {label}",
    "delete": "Removed the {noun} {label}",
}


@cache
def _english_labels(enum) -> dict[str, str]:
    """An enum's labels in English (as the log keeps them) → its values; worked out once per enum, not per entry."""
    from flask_babel import force_locale

    with force_locale("en"):
        return {str(member.label): member.value for member in enum}


def _enum_label(enum, english: str) -> str | None:
    """The reader's label of the member whose English label is ``english``; None when no member has it."""
    value = _english_labels(enum).get(english)
    return None if value is None else str(enum(value).label)


MONTHS = {name: number for number, name in enumerate(calendar.month_name) if name}
_PARTIAL = re.compile(r"^(?:(\d{1,2}) )?(?:([A-Z][a-z]+) )?(\d{4})$")


def _partial_words(text: str) -> str:
    """A partial date as a label wrote it ("May 2027", "3 May 2027", "2027") in the reader's words."""
    match = _PARTIAL.match(text)
    if match is None or (match.group(2) and match.group(2) not in MONTHS) or (match.group(1) and not match.group(2)):
        return text
    from crm.core.templating import format_partial

    day, month, year = match.groups()
    precision = "day" if day else "month" if month else "year"
    try:
        on = date(int(year), MONTHS.get(month, 1), int(day or 1))
    except ValueError:
        return text
    return format_partial(PartialDate(on, precision))


def _interaction(match):
    from crm.partners.models import InteractionKind

    kind = _enum_label(InteractionKind, match.group(1))
    return None if kind is None else _("%(kind)s on %(date)s", kind=kind, date=match.group(2))


def _agreement_step(match):
    from crm.agreements.models import AgreementStatus

    status = _enum_label(AgreementStatus, match.group(1))
    return None if status is None else _("%(status)s (%(date)s)", status=status, date=_partial_words(match.group(2)))


def _proposal_partner(match):
    from crm.proposals.models import PartnerRole

    try:
        role = PartnerRole(match.group(2)).label
    except ValueError:
        return None
    return _(
        "proposal #%(proposal)s: %(role)s #%(organisation)s",
        proposal=match.group(1),
        role=str(role).lower(),
        organisation=match.group(3),
    )


def _proposal_status(match):
    from crm.proposals.models import ProposalStatus

    try:
        status = ProposalStatus(match.group(2)).label
    except ValueError:
        return None
    return _("proposal #%(proposal)s → %(status)s", proposal=match.group(1), status=status)


def _ledger_entry(match):
    from crm.funding.models import Purpose

    what = match.group(2)
    what = _enum_label(Purpose, what) or what
    return _("withdrawal from %(what)s", what=what) if match.group(1) else what


def _report_section(match):
    from crm.reports.section import LANGUAGE_NAMES

    if match.group(1):
        language = LANGUAGE_NAMES.get(match.group(1), match.group(1))
        return _("resource-mobilisation section, working copy in %(language)s", language=language)
    return _("resource-mobilisation section, revision %(number)s", number=match.group(2))


def _organisation_type(match):
    from crm.partners.models import shown_type_name

    return shown_type_name(match.group(0))


# The labels the models write in English (``crm.audit.services.english_label``) that a reader should read in their
# language: by table, the label's shape and how it reads. A label of another shape (a record's own name, an older
# entry written in another language) shows as stored.
LABELS = {
    "interactions": (re.compile(r"^(.+) on (\d{4}-\d{2}-\d{2})$"), _interaction),
    "agreement_steps": (re.compile(r"^(.+) \((.+)\)$"), _agreement_step),
    "experts": (re.compile(r"^expert #(\d+)$"), lambda m: _("expert #%(id)s", id=m.group(1))),
    "expert_cvs": (re.compile(r"^CV of expert #(\d+)$"), lambda m: _("CV of expert #%(id)s", id=m.group(1))),
    "proposal_partners": (re.compile(r"^proposal #(\d+): (\w+) #(\d+)$"), _proposal_partner),
    "proposal_status_changes": (re.compile(r"^proposal #(\d+) → (\w+)$"), _proposal_status),
    "ledger_entries": (re.compile(r"^(withdrawal from )?(.*)$", re.S), _ledger_entry),
    "tranches": (
        re.compile(r"^tranche of (.+) received (\d{4}-\d{2}-\d{2})$"),
        lambda m: _("tranche of %(value)s received %(date)s", value=m.group(1), date=m.group(2)),
    ),
    "mobilisation_strategies": (
        re.compile(r"^resource mobilisation strategy$"),
        lambda m: _("resource mobilisation strategy"),
    ),
    "report_sections": (
        re.compile(r"^resource-mobilisation section, (?:working copy in (\w+)|revision (\d+))$"),
        _report_section,
    ),
    "organisation_types": (re.compile(r"^.+$", re.S), _organisation_type),
}


def shown_label(entity: str, label: str) -> str:
    """A record's label as the log keeps it (English), in the reader's language when it is one the models word."""
    known = LABELS.get(entity)
    if known is None or not label:
        return label
    pattern, words = known
    match = pattern.match(label)
    shown = words(match) if match else None
    return label if shown is None else shown


def headline(entry) -> str:
    """What happened, in the record's own terms: "Tsinghua University added to the directory", "Changed the
    partnership Tsinghua University", "Removed the status step Signed (May 2027)"."""
    sentences = HEADLINES.get(entry.entity)
    label = shown_label(entry.entity, entry.label)
    if sentences is None:
        return FALLBACK[entry.action].format(noun=noun(entry.entity), label=label)
    return str(sentences[entry.action]) % {"label": label}


def _currency_key(key: str) -> str | None:
    """The currency column of an amount column: amount → currency, awarded_amount → awarded_currency, day_rate →
    day_rate_currency."""
    if key == "amount":
        return "currency"
    if key.endswith("_amount"):
        return key.removesuffix("_amount") + "_currency"
    if key == "day_rate":
        return "day_rate_currency"
    return None


@dataclass(frozen=True)
class _Shape:
    """How one audited table's columns read: its enum columns, and its partial dates by column."""

    enums: dict[str, type]
    partial_dates: dict[str, tuple[str, str, str]]  # column key -> (date name, its _on key, its _precision key)
    references: dict[str, type]  # foreign key column -> the audited class of the record it names
    columns: frozenset = frozenset()


@cache
def _shape(entity: str) -> _Shape:
    classes = model_classes()
    cls = next((cls for table, cls in classes.items() if table.name == entity), None)
    if cls is None:
        return _Shape({}, {}, {}, frozenset())
    mapper = sa.inspect(cls)
    enums = {
        attr.key: column.type.enum_class
        for attr in mapper.column_attrs
        for column in attr.columns
        if isinstance(column.type, sa.Enum) and column.type.enum_class is not None
    }
    partial_dates = {}
    for composite in mapper.composites:  # partial_date_column is the only composite
        on, precision = (prop.key for prop in composite.props)
        partial_dates[on] = partial_dates[precision] = (composite.key, on, precision)
    references = {
        attr.key: classes[key.column.table]
        for attr in mapper.column_attrs
        for column in attr.columns
        for key in column.foreign_keys
        if issubclass(classes.get(key.column.table, object), Audited)
    }
    return _Shape(enums, partial_dates, references, frozenset(attr.key for attr in mapper.column_attrs))


def _value(value, enum=None) -> str:
    if value is None or value == "" or value == []:
        return NOTHING
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if enum is not None:
        try:
            member = enum(value)
        except ValueError:  # a value since removed from the enum: show it as stored
            return str(value)
        return getattr(member, "label", str(value))
    return str(value)


def _partial_date(on, precision) -> str:
    if on is None:
        return NOTHING
    from crm.core.templating import format_partial

    return format_partial(PartialDate(date.fromisoformat(on), precision or "day"))


def _field(key: str) -> str:
    key = key.removesuffix("_id")
    return FIELDS.get(key) or key.replace("_", " ")


def _labels(entries) -> dict[type, dict[int, str]]:
    """The labels of every record the entries' references name, read with one statement per class."""
    from crm.extensions import db

    wanted = defaultdict(set)
    for entry in entries:
        references = _shape(entry.entity).references
        for key, pair in (entry.changes or {}).items():
            if key in references:
                wanted[references[key]].update(value for value in pair if isinstance(value, int))
    from crm.audit.services import english_label

    return {
        cls: {
            record.id: shown_label(cls.__tablename__, english_label(record.audit_label))
            for record in db.session.scalars(sa.select(cls).where(cls.id.in_(ids)))
        }
        for cls, ids in wanted.items()
        if ids
    }


def _reference(value, labels: dict[int, str]) -> str:
    if value is None:
        return NOTHING
    return labels.get(value) or _("#%(id)s, since deleted", id=value)


def _money(amount, currency) -> str:
    """An amount as the display layer shows money (``crm.money.display``), one format on every page."""
    from decimal import Decimal, InvalidOperation

    from crm.money.display import format_money

    if amount is None or amount == "":
        return NOTHING
    try:
        number = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    return format_money(number, currency) if currency else str(number)


def _rows(entry, labels: dict[type, dict[int, str]], currencies: dict | None = None) -> list[Change]:
    shape = _shape(entry.entity)
    changes = entry.changes or {}
    rows = []
    # A currency reads with its amount ("CNY 300,000.00"), never as a row of its own.
    done = {_currency_key(key) for key in changes if _currency_key(key) in shape.columns}
    for key, (before, after) in changes.items():
        if key in BOOKKEEPING or key in done:
            continue
        currency_key = _currency_key(key)
        if currency_key and currency_key in shape.columns:
            record = (entry.entity, getattr(entry, "entity_id", None))
            current = (currencies or {}).get(record, {}).get(currency_key)
            before_currency, after_currency = changes.get(currency_key, [current, current])
            rows.append(Change(_field(key), _money(before, before_currency), _money(after, after_currency)))
            continue
        name, on, precision = shape.partial_dates.get(key, (None, None, None))
        # Entries written before both halves were kept show each half as stored.
        if on in changes and precision in changes:
            done.update((on, precision))
            (on_before, on_after), (precision_before, precision_after) = changes[on], changes[precision]
            rows.append(
                Change(
                    name.replace("_", " "),
                    _partial_date(on_before, precision_before),
                    _partial_date(on_after, precision_after),
                )
            )
        elif key in shape.references:
            named = labels.get(shape.references[key], {})
            rows.append(Change(_field(key), _reference(before, named), _reference(after, named)))
        else:
            enum = shape.enums.get(key)
            rows.append(Change(key.replace("_", " "), _value(before, enum), _value(after, enum)))
    return rows


def readable_all(entries) -> dict[int, list[Change]]:
    """Each entry's changes as rows a reader understands (by entry id), bookkeeping left out, in the order
    recorded; the same number of statements however many entries there are."""
    entries = list(entries)
    labels = _labels(entries)
    currencies = _currencies(entries)
    return {entry.id: _rows(entry, labels, currencies) for entry in entries}


def _currencies(entries) -> dict[tuple[str, int], dict[str, str]]:
    """For entries that changed an amount but not its currency: the record's currency now (one statement per kind
    of record), so that the amount still reads as money."""
    from crm.extensions import db

    wanted = defaultdict(set)
    for entry in entries:
        changes = entry.changes or {}
        for key in changes:
            currency_key = _currency_key(key)
            record_id = getattr(entry, "entity_id", None)  # an expert's history shown without personal data has none
            if (
                currency_key
                and currency_key not in changes
                and currency_key in _shape(entry.entity).columns
                and record_id
            ):
                wanted[entry.entity].add(record_id)
    found = {}
    classes = {table.name: cls for table, cls in model_classes().items()}
    for entity, ids in wanted.items():
        cls = classes[entity]
        keys = [key for key in _shape(entity).columns if key.endswith("currency")]
        for row in db.session.execute(sa.select(cls.id, *(getattr(cls, key) for key in keys)).where(cls.id.in_(ids))):
            found[(entity, row[0])] = dict(zip(keys, row[1:], strict=True))
    return found


def readable(entry) -> list[Change]:
    return readable_all([entry])[entry.id]
