from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from wtforms import BooleanField

from crm.core.forms import BaseForm, MultiCheckboxField, choices
from crm.work.models import REMINDER_CHOICES


def _days(day: int) -> str:
    return _l("On the day") if day == 0 else lazy_ngettext("%(num)d day before", "%(num)d days before", day)


class MailPreferenceForm(BaseForm):
    weekly_digest = BooleanField(
        _l("Weekly digest"),
        description=_l(
            "Once a week, early on Monday: what is overdue and due in the next 30 days, yours first. "
            "Not sent in a week with nothing due."
        ),
    )
    reminder_days = MultiCheckboxField(
        _l("Reminders for deadlines you own"),
        choices=choices((str(day), _days(day)) for day in REMINDER_CHOICES),
        description=_l(
            "Proposal deadlines and partnerships' next steps whose owner you are. None ticked: no reminders."
        ),
    )
