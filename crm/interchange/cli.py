"""``flask --app wsgi import CENTRE_CODE FILE`` and ``flask --app wsgi export CENTRE_CODE REGISTER``.

Exit codes of ``import``, so that a script can tell what happened:

    0  imported (or, with --dry-run, the file would import as it is)
    1  the file has errors: nothing was written (each is printed; --errors writes the marked-up copy)
    2  the command was mistyped (an unknown option, centre or register)
    3  the file was refused: not a spreadsheet, a guard tripped, or its encoding or separator must be given
    4  likely duplicates of directory entries: nothing was written; check them, then --create-duplicates
"""

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from werkzeug.datastructures import MultiDict

from crm.audit.services import acting_as
from crm.auth.models import User
from crm.centres.services import centre_by_code
from crm.extensions import db
from crm.interchange import services, writing
from crm.interchange.converting import ConvertError
from crm.interchange.reading import DELIMITERS, ENCODINGS
from crm.interchange.registers import REGISTERS, register_named
from crm.money.totals import RATE_CHOICES

IMPORTED, HAS_ERRORS, USAGE, REFUSED, DUPLICATES = 0, 1, 2, 3, 4
DELIMITER_NAMES = {name: char for char, name in DELIMITERS.items()}


def centre_named(code: str):
    centre = centre_by_code(code)
    if centre is None:
        raise click.BadParameter(f"No centre has the code {code!r}.", param_hint="CENTRE_CODE")
    return centre


def acting_user(email: str | None):
    if not email:
        return None
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise click.BadParameter(f"No account has the e-mail {email!r}.", param_hint="--as")
    return user


@click.command("import")
@click.argument("centre_code")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--register", help=f"The register of a CSV file or single sheet: {', '.join(REGISTERS)}.")
@click.option("--dry-run", is_flag=True, help="Check the whole file and say what would change; write nothing.")
@click.option("--locale", default="en", show_default=True, help="How numbers typed as text are written (ru: 1 234,5).")
@click.option("--encoding", type=click.Choice(sorted(ENCODINGS)), help="A CSV file's encoding when it is not Unicode.")
@click.option(
    "--delimiter", type=click.Choice(sorted(DELIMITER_NAMES)), help="A CSV file's separator, if not detected."
)
@click.option("--create-duplicates", is_flag=True, help="Create organisations that look like directory entries.")
@click.option("--as", "email", help="The account the changes are recorded as made by (required for rates).")
@click.option(
    "--errors", "errors_file", type=click.Path(dir_okay=False, path_type=Path), help="Write the marked-up copy here."
)
@with_appcontext
def import_command(
    centre_code, file, register, dry_run, locale, encoding, delimiter, create_duplicates, email, errors_file
):
    """Import FILE (XLSX or CSV) into the centre CENTRE_CODE: checked whole first, then written all or nothing.

    Organisations and exchange rates are network-wide: any centre's code will do for them."""
    centre = centre_named(centre_code)
    if register and register_named(register) is None:
        raise click.BadParameter(f"Choose one of {', '.join(REGISTERS)}.", param_hint="--register")
    user = acting_user(email)
    options = services.Options(
        register=register or "",
        locale=locale,
        encoding=encoding or "",
        delimiter=DELIMITER_NAMES.get(delimiter or "", ""),
        create_duplicates=create_duplicates,
    )
    with acting_as(user):
        outcome = _with_progress(file.read_bytes(), centre, user, options, apply=not dry_run)
    db.session.commit() if outcome.applied else db.session.rollback()
    sys.exit(report(outcome, file, errors_file, dry_run, create_duplicates))


def _with_progress(content, centre, user, options, apply: bool):
    walk = services.steps(content, centre, user, options, apply=apply)
    with click.progressbar(length=1, label="Checking", file=sys.stderr, show_pos=True) as bar:
        while True:
            try:
                progress = next(walk)
            except StopIteration as done:
                return done.value
            bar.length = max(progress.total, 1)
            bar.update(progress.done - bar.pos)


def report(outcome, file: Path, errors_file: Path | None, dry_run: bool, create_duplicates: bool) -> int:
    """Print what happened; the exit code."""
    if outcome.file_error:
        click.echo(f"{file.name}: {outcome.file_error}", err=True)
        if outcome.choice:
            click.echo(f"Give --{outcome.choice} to say it.", err=True)
        return REFUSED
    for note in outcome.skipped:
        click.echo(f"note: {note}", err=True)
    for issue in outcome.issues:
        where = f"{issue.sheet} {issue.cell}".strip() + (f" ({issue.header})" if issue.header else "")
        click.echo(f"{'error' if issue.is_error else 'warning'}: {where}: {issue.message}", err=True)
    for duplicate in outcome.duplicates:
        like = "; ".join(f"{ref} {name}" for ref, name in duplicate.matches)
        click.echo(f"duplicate?: {duplicate.sheet} row {duplicate.row}: {duplicate.label} looks like {like}", err=True)
    if errors_file and outcome.issues:
        with errors_file.open("wb") as handle:
            services.marked_up(outcome, file.name, handle)
        click.echo(f"Wrote the marked-up copy to {errors_file}.", err=True)
    for sheet in outcome.sheets:
        named = sheet.register.title + ("" if sheet.sheet == sheet.register.title else f" (sheet {sheet.sheet})")
        click.echo(f"{named}: {sheet.created} to create, {sheet.updated} to update, {sheet.unchanged} left alone.")
    if outcome.errors:
        click.echo(f"{len(outcome.errors)} errors: nothing was written.", err=True)
        return HAS_ERRORS
    if outcome.duplicates and not create_duplicates:
        click.echo("Likely duplicates of directory entries: nothing was written (see --create-duplicates).", err=True)
        return DUPLICATES
    click.echo(
        f"Dry run: nothing was written ({outcome.seconds:.1f} s)."
        if dry_run
        else f"Imported ({outcome.seconds:.1f} s)."
    )
    return IMPORTED


@click.command("export")
@click.argument("centre_code")
@click.argument("register_name", metavar="REGISTER")
@click.option("--format", "fmt", type=click.Choice(sorted(writing.FORMATS)), default="xlsx", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True)
@click.option("--where", "filters", multiple=True, help="A list filter as on its page, e.g. --where stage=active.")
@click.option("--convert", metavar="CURRENCY", help="Convert each amount to CURRENCY too, with the rates it used.")
@click.option(
    "--rates", type=click.Choice(sorted(RATE_CHOICES)), default="month", show_default=True, help="Which rates."
)
@with_appcontext
def export_command(centre_code, register_name, fmt, output, filters, convert, rates):
    """Export REGISTER of the centre CENTRE_CODE (organisations and rates: the whole network's) to CSV or XLSX."""
    centre = centre_named(centre_code)
    register = register_named(register_name)
    if register is None:
        raise click.BadParameter(f"Choose one of {', '.join(REGISTERS)}.", param_hint="REGISTER")
    args = MultiDict(item.split("=", 1) for item in filters if "=" in item)
    if convert:
        args.setlist("convert", [convert])
        args.setlist("rates", [rates])
    try:
        made = services.centre_export(register, centre, args)
    except ConvertError as error:
        raise click.BadParameter(str(error), param_hint="--convert") from None
    with output.open("wb") as handle:
        count = services.write_export(handle, made, fmt)
    click.echo(f"Wrote {count:,} {register.title.lower()} to {output}.")


commands = (import_command, export_command)
