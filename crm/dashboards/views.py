"""The centre dashboard (staff and coordinators) and the network dashboard (coordinators and admins)."""

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from crm.agreements.queries import DUE_WITHIN_DAYS, STALLED_AFTER_DAYS
from crm.centres.models import Centre, ReportingPeriod
from crm.centres.views import centre_or_404
from crm.core.cache import cached_page, network_versions
from crm.core.versions import SHARED, centre_key
from crm.dashboards.filters import read_filters
from crm.dashboards.links import Links
from crm.dashboards.queries import Scope
from crm.dashboards.summary import MEASURES, build, charts
from crm.extensions import db
from crm.money.currencies import COMMON
from crm.money.models import ExchangeRate
from crm.money.totals import RATE_CHOICES, RatePlan

bp = Blueprint("dashboards", __name__, url_prefix="/dashboards")


@bp.context_processor
def helpers():
    return {
        "label_of": label_of,
        "rate_choices": RATE_CHOICES,
        "measures": MEASURES,
        "stalled_days": STALLED_AFTER_DAYS,
        "due_days": DUE_WITHIN_DAYS,
    }


def label_of(row) -> str:
    """A table row's heading: an enum's label, or the value itself (a quarter)."""
    return getattr(row, "label", str(row))


def currencies_with_rates() -> list[str]:
    """The currencies the picker offers: the common ones, then any other that has a rate."""
    codes = set(db.session.scalars(sa.select(ExchangeRate.quote).distinct())) | set(
        db.session.scalars(sa.select(ExchangeRate.base).distinct())
    )
    return list(COMMON) + sorted(codes - set(COMMON))


def default_centre() -> Centre | None:
    """The user's first centre; for coordinators and admins, the first centre of the network."""
    if not current_user.reads_all_centres:
        return current_user.centres[0] if current_user.centres else None
    return db.session.scalar(sa.select(Centre).order_by(Centre.code).limit(1))


def render_dashboard(template: str, *, network: bool, centre: Centre | None, periods, default_currency: str, **extra):
    today = date.today()
    result = read_filters(request.args, default_currency=default_currency, periods=periods, today=today)
    filters = result.filters
    scope = Scope(
        centre_ids=None if network else frozenset({centre.id}),
        starts_on=filters.starts_on,
        ends_on=filters.ends_on,
        today=today,
        period=filters.period,
    )
    plan = RatePlan(filters.rates, filters.currency, filters.ends_on or today)
    dashboard = build(scope, plan)
    return render_template(
        template,
        d=dashboard,
        charts=charts(dashboard, network=network),
        links=Links(scope, plan),
        result=result,
        filters=filters,
        centre=centre,
        periods=sorted({p.label for p in periods}),
        currencies=currencies_with_rates(),
        **extra,
    )


def centre_versions() -> list[str]:
    """What a centre's page reads: its centre's records and the shared ones (rates, centres); the default centre
    chosen by the reader is part of the key through the reader."""
    code = request.args.get("centre")
    chosen = centre_or_404(code) if code else default_centre()
    return [SHARED] + ([centre_key(chosen.id)] if chosen else [])


@bp.route("/centre")
@login_required
@cached_page(centre_versions)
def centre():
    code = request.args.get("centre")
    chosen = centre_or_404(code) if code else default_centre()
    if chosen is None:
        return render_template("dashboards/no_centre.html")
    choices = (
        db.session.scalars(sa.select(Centre).order_by(Centre.code)).all()
        if current_user.reads_all_centres
        else list(current_user.centres)
    )
    return render_dashboard(
        "dashboards/centre.html",
        network=False,
        centre=chosen,
        periods=list(chosen.periods),
        default_currency=chosen.reporting_currency,
        centre_choices=choices,
    )


@bp.route("/network")
@login_required
@cached_page(network_versions)
def network():
    if not current_user.reads_all_centres:
        abort(403)
    periods = db.session.scalars(sa.select(ReportingPeriod)).all()
    return render_dashboard(
        "dashboards/network.html", network=True, centre=None, periods=periods, default_currency="USD"
    )
