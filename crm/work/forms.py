from wtforms import BooleanField

from crm.core.forms import BaseForm, MultiCheckboxField, choices
from crm.work.models import REMINDER_CHOICES


def _days(day: int) -> str:
    return {0: "On the day", 1: "1 day before"}.get(day, f"{day} days before")


class MailPreferenceForm(BaseForm):
    weekly_digest = BooleanField(
        "Weekly digest",
        description="Once a week, early on Monday: what is overdue and due in the next 30 days, yours first. "
        "Not sent in a week with nothing due.",
    )
    reminder_days = MultiCheckboxField(
        "Reminders for deadlines you own",
        choices=choices((str(day), _days(day)) for day in REMINDER_CHOICES),
        description="Proposal deadlines and partnerships' next steps whose owner you are. None ticked: no reminders.",
    )
