"""The centre dashboard (staff and coordinators) and the network dashboard (coordinators and admins)."""

from datetime import date
from functools import cache

import sqlalchemy as sa
from babel import Locale
from babel.numbers import format_currency
from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from crm.centres.models import Centre, ReportingPeriod
from crm.centres.views import centre_or_404
from crm.dashboards.filters import RATE_CHOICES, read_filters
from crm.dashboards.links import funding_links, list_url
from crm.dashboards.queries import Scope
from crm.dashboards.summary import build, charts
from crm.dashboards.totals import RatePlan
from crm.extensions import db
from crm.money.currencies import COMMON
from crm.money.display import user_locale
from crm.money.models import ExchangeRate
from crm.money.value import Money

bp = Blueprint("dashboards", __name__, url_prefix="/dashboards")


@cache
def parsed_locale(identifier: str) -> Locale:
    return Locale.parse(identifier)


def show_money(money: Money) -> str:
    """As ``crm.money.display.format_money`` (Babel, the user's locale, rounded once), with the locale parsed
    once per process: a dashboard formats hundreds of amounts."""
    rounded = money.rounded()
    return format_currency(rounded.amount, rounded.currency, locale=parsed_locale(user_locale()))


@bp.context_processor
def helpers():
    return {
        "list_url": list_url,
        "funding_links": funding_links,
        "show_money": show_money,
        "label_of": label_of,
        "rate_choices": RATE_CHOICES,
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
    )
    plan = RatePlan(filters.rates, filters.currency, filters.ends_on or today)
    dashboard = build(scope, plan, network=network)
    return render_template(
        template,
        d=dashboard,
        charts=charts(dashboard, network=network),
        result=result,
        filters=filters,
        centre=centre,
        periods=sorted({p.label for p in periods}),
        currencies=currencies_with_rates(),
        **extra,
    )


@bp.route("/centre")
@login_required
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
def network():
    if not current_user.reads_all_centres:
        abort(403)
    periods = db.session.scalars(sa.select(ReportingPeriod)).all()
    return render_dashboard(
        "dashboards/network.html", network=True, centre=None, periods=periods, default_currency="USD"
    )
