"""Centres and their reporting periods. Services validate, change and flush; the request commits."""

from datetime import date
from functools import cache

import pycountry
import sqlalchemy as sa
from flask_babel import gettext as _

from crm.centres.models import Centre, ReportingPeriod
from crm.core.errors import RuleError
from crm.core.i18n import country_name, reading_locale
from crm.core.records import create_or_update
from crm.extensions import db


class CentreError(RuleError):
    """Refused input in this domain (see crm.core.errors.RuleError)."""


def country_choices() -> list[tuple[str, str]]:
    """Every country, named and sorted in the language being read."""
    return _country_choices(str(reading_locale()))


@cache
def _country_choices(locale: str) -> list[tuple[str, str]]:
    return sorted(((c.alpha_2, country_name(c.alpha_2, locale)) for c in pycountry.countries), key=lambda pair: pair[1])


def check_countries(codes, field: str) -> list[str]:
    codes = [code.strip().upper() for code in codes if code and code.strip()]
    unknown = [code for code in codes if pycountry.countries.get(alpha_2=code) is None]
    if unknown:
        raise CentreError(_("Unknown ISO 3166 country code: %(value)s.", value=", ".join(unknown)), field)
    return codes


def check_currency(code: str) -> str:
    from crm.money.currencies import normalise_currency

    try:
        return normalise_currency(code)
    except ValueError as error:
        raise CentreError(str(error), "reporting_currency") from error


def save_centre(centre: Centre | None, data: dict) -> Centre:
    """Create (centre is None) or update a centre from validated form data."""
    code = data["code"].strip().upper()
    clash = db.session.scalar(sa.select(Centre.id).where(Centre.code == code))
    if clash is not None and (centre is None or clash != centre.id):
        raise CentreError(_("A centre with the code %(code)s already exists.", code=code), "code")
    # Optional: a report may not say where the host sits; experts then count as neither domestic nor foreign.
    host_country = check_countries([data.get("host_country") or ""], "host_country")
    values = {
        "code": code,
        "name": data["name"].strip(),
        "short_name": (data.get("short_name") or "").strip(),
        "host_institution": data["host_institution"].strip(),
        "host_country": host_country[0] if host_country else None,
        "launched_on": data.get("launched_on"),
        "reporting_currency": check_currency(data["reporting_currency"]),
        "parties": check_countries(data.get("parties") or [], "parties"),
        "notes": (data.get("notes") or "").strip(),
    }
    centre = create_or_update(Centre, centre, values)
    db.session.flush()
    return centre


def add_period(centre: Centre, label: str, starts_on: date, ends_on: date) -> ReportingPeriod:
    label = label.strip()
    if ends_on < starts_on:
        raise CentreError(_("The period cannot end before it starts."), "ends_on")
    if any(p.label == label for p in centre.periods):
        raise CentreError(
            _("%(code)s already has a period labelled %(label)s.", code=centre.code, label=label), "label"
        )
    period = ReportingPeriod(centre=centre, label=label, starts_on=starts_on, ends_on=ends_on)
    db.session.add(period)
    db.session.flush()
    return period


def all_centres() -> list[Centre]:
    return db.session.scalars(sa.select(Centre).order_by(Centre.code)).all()


def centre_by_code(code: str) -> Centre | None:
    return db.session.scalar(sa.select(Centre).where(Centre.code == code.strip().upper()))


def visible_periods(centre_ids) -> list[ReportingPeriod]:
    """The reporting periods of the centres a reader sees (``centre_ids`` None: every centre), latest first."""
    stmt = sa.select(ReportingPeriod).order_by(ReportingPeriod.starts_on.desc(), ReportingPeriod.label)
    if centre_ids is not None:
        stmt = stmt.where(ReportingPeriod.centre_id.in_(sorted(centre_ids)))
    return db.session.scalars(stmt).all()


def reader_span(args):
    """(the period a list page is filtered by, or the refusal of its dates) among the reader's centres' periods."""
    from crm.core.periods import span_or_error
    from crm.core.scoping import readable_centre_ids

    return span_or_error(args, visible_periods(readable_centre_ids()))
