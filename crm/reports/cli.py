"""``flask --app wsgi report section CENTRE_CODE --period LABEL --format pdf|docx|html --output FILE``."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from crm.centres.services import centre_by_code
from crm.extensions import db
from crm.reports import exports, services

cli = click.Group("report", help="The biennial report's resource-mobilisation section.")


@cli.command("section")
@click.argument("centre_code")
@click.option("--period", "period_label", required=True, help="The reporting period's label, e.g. 2025-2026.")
@click.option(
    "--format", "fmt", type=click.Choice(exports.FORMATS), default="pdf", show_default=True, help="What to write."
)
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True)
@with_appcontext
def section_command(centre_code: str, period_label: str, fmt: str, output: Path):
    """Export a centre's section for a period: the latest revision as staff left it (frozen if submitted),
    or, when nobody has started it, a fresh draft from the records (not saved)."""
    centre = centre_by_code(centre_code)
    if centre is None:
        raise click.ClickException(f"No centre has the code {centre_code!r}.")
    period = next((p for p in centre.periods if p.label == period_label.strip()), None)
    if period is None:
        known = ", ".join(p.label for p in centre.periods) or "none yet"
        raise click.ClickException(f"{centre.code} has no reporting period {period_label!r} (its periods: {known}).")
    record = services.latest_section(period.id)
    if record is None:
        # Drafted inside a transaction that is rolled back: exporting never starts a section behind staff's back.
        record = services.start_section(centre, period)
        note = "a fresh draft from the records (not saved)"
    else:
        note = f"revision {record.revision}" + (" as submitted" if record.is_submitted else " (draft)")
    content, _ = exports.render(services.section_data(record), fmt)
    name = exports.filename(record, fmt)
    db.session.rollback()
    output.write_bytes(content)
    click.echo(f"Wrote {output} ({len(content):,} bytes, {note}; suggested file name {name}).")
