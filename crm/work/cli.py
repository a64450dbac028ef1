import sys
from datetime import date

import click
from flask.cli import with_appcontext

from crm.core.mail import deliver, forget_sent, pending_count
from crm.extensions import db
from crm.work.services import queue_due


@click.group("mail", help="Send what is due by mail: digests, reminders, password resets.")
def cli():
    pass


@cli.command(
    "send-due",
    help="Queue this week's digests and today's reminders, then send everything the outbox holds (password "
    "resets too). Idempotent: run it every minute from cron or a systemd timer; nothing is sent twice. Exits 1 "
    "when a message could not be sent (it is kept and tried again at the next run).",
)
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Act as if today were this date (YYYY-MM-DD), to catch up or to try the job out.",
)
@with_appcontext
def send_due(today):
    today = today.date() if today else date.today()
    forget_sent()
    queued = queue_due(today)
    db.session.commit()
    click.echo(f"Queued {queued.digests} digest(s) and {queued.reminders} reminder(s) for {today.isoformat()}.")
    delivery = deliver()
    if delivery.sent:
        click.echo(f"Sent {len(delivery.sent)} message(s) to {delivery.where}.")
    for message, reason in delivery.kept:
        click.echo(f"Not sent, kept for the next run: {message.subject!r} to {message.to_address}: {reason}", err=True)
    if delivery.stopped:
        click.echo(f"Stopped: {delivery.stopped}. {pending_count()} message(s) kept for the next run.", err=True)
    elif not delivery.sent and not delivery.kept:
        click.echo("Nothing to send.")
    if delivery.failed:
        sys.exit(1)
