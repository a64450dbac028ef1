"""``flask --app wsgi report …``: export a centre's section, fill it into a Word report, submit it, and compile the
network's submitted sections for the GCE."""

from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext

from crm.centres.services import centre_by_code
from crm.extensions import db
from crm.reports import compilation, exports, fill, services

cli = click.Group("report", help="The biennial report's resource-mobilisation section.")

period_option = click.option(
    "--period", "period_label", required=True, help="The reporting period's label, e.g. 2025-2026."
)
revision_option = click.option(
    "--revision",
    default="latest",
    show_default=True,
    help="Which revision: a number, 'submitted' (the latest submitted one) or 'latest' (as staff left it).",
)


def centre_and_period(centre_code: str, period_label: str):
    centre = centre_by_code(centre_code)
    if centre is None:
        raise click.ClickException(f"No centre has the code {centre_code!r}.")
    period = next((p for p in centre.periods if p.label == period_label.strip()), None)
    if period is None:
        known = ", ".join(p.label for p in centre.periods) or "none yet"
        raise click.ClickException(f"{centre.code} has no reporting period {period_label!r} (its periods: {known}).")
    return centre, period


def chosen_revision(centre, period, revision: str):
    """(section record, note): the revision asked for; with 'latest' and nothing started, a fresh draft from the
    records, inside a transaction the caller rolls back (exporting never starts a section behind staff's back)."""
    revision = revision.strip().lower()
    if revision == "submitted":
        record = services.find_revision(period.id)
        if record is None:
            raise click.ClickException(f"No revision of the {period.label} section of {centre.code} is submitted yet.")
    elif revision == "latest":
        record = services.latest_section(period.id)
        if record is None:
            return services.start_section(centre, period), "a fresh draft from the records (not saved)"
    elif revision.isdigit():
        record = services.find_revision(period.id, int(revision))
        if record is None:
            known = ", ".join(str(s.revision) for s in services.sections_of_period(period.id)) or "none"
            raise click.ClickException(f"There is no revision {revision} (revisions: {known}).")
    else:
        raise click.ClickException("--revision takes a number, 'submitted' or 'latest'.")
    state = f"submitted {record.submitted_on:%-d %B %Y}" if record.is_submitted else "draft"
    return record, f"revision {record.revision} ({state})"


@cli.command("section")
@click.argument("centre_code")
@period_option
@revision_option
@click.option(
    "--format", "fmt", type=click.Choice(exports.FORMATS), default="pdf", show_default=True, help="What to write."
)
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True)
@click.option(
    "--language",
    type=click.Choice(["en", *services.WORKING_LANGUAGES]),
    default="en",
    show_default=True,
    help="en: the section as filed; zh_Hans_CN or ru: its working copy (a fresh one from the records, not saved, "
    "when none is drafted; --revision is then ignored).",
)
@with_appcontext
def section_command(centre_code: str, period_label: str, revision: str, fmt: str, output: Path, language: str):
    """Export a centre's section for a period: a revision as staff left it (frozen if submitted), or, when nobody
    has started it, a fresh draft from the records (not saved); or its working copy in Chinese or Russian."""
    centre, period = centre_and_period(centre_code, period_label)
    if language == "en":
        record, note = chosen_revision(centre, period, revision)
    else:
        record = services.working_copy(period.id, language)
        note = f"the working copy in {language}"
        if record is None:
            english, _ = chosen_revision(centre, period, "latest")
            record, _ = services.start_working_copy(english, language)
            note = f"a fresh working copy in {language} from the records (not saved)"
    content, _ = exports.render(services.section_data(record), fmt)
    name = exports.filename(record, fmt)
    db.session.rollback()
    output.write_bytes(content)
    click.echo(f"Wrote {output} ({len(content):,} bytes, {note}; suggested file name {name}).")


@cli.command("fill")
@click.argument("centre_code")
@period_option
@revision_option
@click.option(
    "--input",
    "source",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Your report.",
)
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True)
@with_appcontext
def fill_command(centre_code: str, period_label: str, revision: str, source: Path, output: Path):
    """Fill the section into the centre's own Word report (made from the reporting template): area 3's outcome,
    table and narrative, and Part III's achievement on partnerships, in place; every other paragraph, table,
    style and tracked change left as it was."""
    centre, period = centre_and_period(centre_code, period_label)
    record, note = chosen_revision(centre, period, revision)
    try:
        filled = fill.fill_report(source.read_bytes(), services.section_data(record))
    except fill.FillError as error:
        raise click.ClickException(str(error)) from None
    finally:
        db.session.rollback()
    output.write_bytes(filled.content)
    click.echo(f"Wrote {output} from {note}: " + "; ".join(filled.notes) + ".")


@cli.command("submit")
@click.argument("centre_code")
@period_option
@click.option(
    "--filed-on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day the report was filed with the GCE (YYYY-MM-DD); today if not given.",
)
@with_appcontext
def submit_command(centre_code: str, period_label: str, filed_on):
    """Mark the latest revision of a centre's section as submitted: frozen as reported."""
    centre, period = centre_and_period(centre_code, period_label)
    record = services.latest_section(period.id)
    if record is None:
        raise click.ClickException(f"The {period.label} section of {centre.code} is not started.")
    try:
        services.submit(record, None, filed_on.date() if filed_on else None, today=date.today())
    except services.SectionError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Revision {record.revision} of {centre.code} {period.label} submitted on {record.submitted_on}.")


@cli.command("compile")
@period_option
@click.option("--format", "fmt", type=click.Choice(("pdf", "docx")), default="pdf", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True)
@with_appcontext
def compile_command(period_label: str, fmt: str, output: Path):
    """The GCE's compilation of every centre's submitted section for a period, with the synthesis table."""
    label = period_label.strip()
    if label not in compilation.period_labels():
        known = ", ".join(compilation.period_labels()) or "none"
        raise click.ClickException(f"No reporting period is called {label!r} (periods: {known}).")
    compiled = compilation.gather(label)
    content = compilation.render(compiled, fmt)
    output.write_bytes(content)
    missing = ", ".join(e.centre.code for e in compiled.missing) or "none"
    click.echo(
        f"Wrote {output} ({len(content):,} bytes): {len(compiled.submitted)} submitted sections; not submitted: "
        f"{missing}."
    )
