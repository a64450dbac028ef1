"""The centre dashboard (staff and coordinators) and the network dashboard (coordinators and admins)."""

import gc
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from functools import cache

import sqlalchemy as sa
from babel import Locale
from babel.numbers import format_currency, get_decimal_symbol, get_group_symbol
from flask import Blueprint, abort, g, render_template, request
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from crm.centres.models import Centre, ReportingPeriod
from crm.centres.views import centre_or_404
from crm.dashboards.filters import RATE_CHOICES, read_filters
from crm.dashboards.links import funding_links, list_url
from crm.dashboards.queries import Scope
from crm.dashboards.summary import build, charts
from crm.dashboards.totals import ConvertedTotal, RatePlan
from crm.extensions import db
from crm.money.currencies import COMMON, minor_units
from crm.money.display import format_money, user_locale
from crm.money.models import ExchangeRate
from crm.money.value import ROUNDING

bp = Blueprint("dashboards", __name__, url_prefix="/dashboards")


@cache
def parsed_locale(identifier: str) -> Locale:
    return Locale.parse(identifier)


# Amounts a fast format is checked against before it is trusted: grouping, small, zero, negative, rounding.
PROBES = ("1234567.12", "1234.5", "12.3", "0", "-1234567.12", "-0.4", "999.995", "0.125")


def babel_money(amount: Decimal, currency: str, locale_id: str) -> str:
    return format_currency(amount, currency, locale=parsed_locale(locale_id))


@cache
def money_formatter(locale_id: str, currency: str):
    """A formatter for one (locale, currency) as fast as Python's own number formatting, giving Babel's text:
    the symbol, separators and sign placement read from Babel once, then checked against Babel on PROBES.
    None when the locale's pattern is not the simple kind (other grouping, digits, minimum grouping...)."""
    digits = minor_units(currency)  # the quantum ``Money.rounded`` rounds to, with the same rule
    quantum = Decimal(1).scaleb(-digits)
    sample = babel_money(Decimal("1234567.12"), currency, locale_id)
    negative = babel_money(Decimal("-1234567.12"), currency, locale_id)
    number = format(Decimal("1234567.12").quantize(quantum, ROUNDING), f",.{digits}f")
    group, decimal = get_group_symbol(parsed_locale(locale_id)), get_decimal_symbol(parsed_locale(locale_id))
    local = number.translate({ord(","): "\x00", ord("."): decimal}).replace("\x00", group)
    if sample.count(local) != 1 or negative.count(local) != 1:
        return None
    prefix, suffix = sample.split(local)
    minus_prefix, minus_suffix = negative.split(local)

    def fast(amount: Decimal) -> str:
        value = amount.quantize(quantum, ROUNDING)
        text = format(abs(value), f",.{digits}f").translate({ord(","): "\x00", ord("."): decimal})
        text = text.replace("\x00", group)
        return f"{minus_prefix}{text}{minus_suffix}" if value.is_signed() else f"{prefix}{text}{suffix}"

    if all(fast(Decimal(p)) == babel_money(Decimal(p), currency, locale_id) for p in PROBES):
        return fast
    return None


def show_amount(amount: Decimal, currency: str, locale_id: str) -> str:
    """As ``crm.money.display.format_money`` (rounded once to the currency's minor unit, half to even; Babel's
    text in the locale): a dashboard formats two thousand amounts, so with a formatter made once per (locale,
    currency) and proven equal to Babel, which rounds the same way (``money_formatter``)."""
    fast = money_formatter(locale_id, currency)
    if fast is None:
        return format_money(amount, currency, locale_id)
    return fast(amount)


def converted_html(t: ConvertedTotal, url: str | None = None) -> Markup:
    """A converted total as the ``converted`` macro of templates/dashboards/_macros.html shows it (its text,
    whitespace included): the total, linked; the per-currency subtotals; what was not converted; the rates used.
    In Python because a network dashboard shows some 200 of them: as a Jinja macro they were a third of the page."""
    if t.is_empty:
        return Markup('\n  <span class="muted">—</span>\n')
    locale_id = user_locale()
    total = escape(show_amount(t.exact, t.target, locale_id))
    figure = f'<a href="{escape(url)}">{total}</a>' if url else total
    badge = "" if t.is_complete else ' <span class="badge warn">part not converted</span>'
    parts = [f'\n  \n  <span class="converted">{figure}{badge}</span>\n  \n  ']
    subtotals = t.subtotal_amounts()
    if len(subtotals) > 1 or (subtotals and subtotals[0][0] != t.target):
        shown = " + ".join(str(escape(show_amount(amount, code, locale_id))) for code, amount in subtotals)
        parts.append(f'\n  <span class="subtotals">{shown}</span>\n  ')
    parts.append("\n  ")
    parts.extend(f'<span class="not-converted">{escape(line)}</span>' for line in t.not_converted())
    parts.append("\n  \n  ")
    # One request's totals cite the same conversions over and over (row, column and grand totals).
    lines = t.rate_lines(memo=g.setdefault("rate_lines", {}))
    if lines:
        spans = "".join(f"<span>{escape(line)}</span>" for line in lines)
        parts.append(f'<details class="rates"><summary>rates used</summary>{spans}</details>\n  ')
    elif t.is_complete:
        parts.append(f'<span class="rates-note">in {escape(t.target)}, no rate needed</span>')
    parts.append("\n  \n")
    return Markup("".join(parts))


@bp.context_processor
def helpers():
    return {
        "converted_html": converted_html,
        "list_url": list_url,
        "funding_links": funding_links,
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
    with without_cycle_collection():
        # The dashboard lives only inside this call: freed before the collector runs again, which would
        # otherwise walk its tens of thousands of objects once more on the way out.
        return _build_and_render(
            template,
            scope,
            plan,
            network=network,
            result=result,
            filters=filters,
            centre=centre,
            periods=sorted({p.label for p in periods}),
            currencies=currencies_with_rates(),
            **extra,
        )


def _build_and_render(template: str, scope: Scope, plan: RatePlan, *, network: bool, **context) -> str:
    dashboard = build(scope, plan, network=network)
    return render_template(template, d=dashboard, charts=charts(dashboard, network=network), **context)


@contextmanager
def without_cycle_collection():
    """Python's cycle collector paused while a dashboard is built and rendered.

    A network dashboard makes a few hundred thousand short-lived objects (rows, keys, totals), freed by
    reference counting as soon as they are done with; meanwhile the collector would run hundreds of times
    and walk the whole process heap several times over, about a third of the page's time (measured). It
    runs again, as usual, right after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
