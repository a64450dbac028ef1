import sys

import click
from flask.cli import with_appcontext

from crm.auth import services
from crm.auth.models import Role
from crm.extensions import db


@click.group("users", help="Manage user accounts.")
def cli():
    pass


@cli.command("create", help="Create an account. The password is asked for, or read from standard input when piped.")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True, help="What the account may do.")
@click.option("--centre", "centres", multiple=True, help="Centre code (repeatable); required for staff.")
@click.option("--name", default="", help="Display name (defaults to the e-mail).")
@with_appcontext
def create(email, role, centres, name):
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        user = services.create_user(email, name or email, role, password, centres)
    except services.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {user.role.value} account {user.email}.")
