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


@cli.command("update", help="Change an account's role or switch it on or off (the last active administrator stays).")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), help="The new role.")
@click.option("--active/--disabled", default=None, help="Switch the account on, or off (it is signed out at once).")
@with_appcontext
def update(email, role, active):
    user = services.find_user(email)
    if user is None:
        raise click.ClickException(f"No account with the e-mail {email}.")
    try:
        services.update_user(
            user,
            name=user.name,
            role=role or user.role,
            active=user.active if active is None else active,
            centres=list(user.centres),
        )
    except services.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"{user.email}: {user.role.label}, {'active' if user.active else 'disabled'}.")
