"""The section's life: started from a draft, edited, redrafted field by field, submitted (frozen), revised.

Services validate, change and flush; the request (or the CLI) commits.
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from crm.centres.models import ReportingPeriod
from crm.core.errors import RuleError
from crm.core.models import utcnow
from crm.core.partial_dates import PartialDate
from crm.core.records import create_or_update
from crm.extensions import db
from crm.reports import drafting
from crm.reports.linked import Change, Drafted, LinkedText, rebase
from crm.reports.linked import apply as apply_linked
from crm.reports.linked import redraft_changes as linked_changes
from crm.reports.models import FILED_LANGUAGE, Challenge, ChallengeArea, ReportOutput, ReportSection
from crm.reports.section import TEMPLATE_ROWS, Narrative, Output, OutputStatus, Section, in_language

# The languages a working copy may be drafted in (crm.core.i18n.LANGUAGES but the filed one), as their own name.
WORKING_LANGUAGES = {"zh_Hans_CN": "中文", "ru": "Русский"}

# Template rows a report may leave out: hidden from the start when the records give them nothing to tell.
OPTIONAL_ROWS = ("additional",)
TEXT_FIELDS = (
    ("outcome", "Outcome"),
    ("worked_well", "What worked well"),
    ("challenges", "Challenges"),
    ("solutions", "Possible solutions"),
    ("key_figures", "Part III key achievement"),
)


class SectionError(RuleError):
    """Refused input in this domain (see crm.core.errors.RuleError)."""

    @classmethod
    def working_copy(cls, section: ReportSection) -> "SectionError":
        return cls(
            _(
                "This is a working copy in %(language)s: it is not filed. Submit or fill in the English section.",
                language=WORKING_LANGUAGES.get(section.language, section.language),
            )
        )


class SectionFrozen(SectionError):
    def __init__(self, section: ReportSection):
        super().__init__(
            _(
                "Revision %(number)s was submitted on %(date)s and is frozen; start a new revision to change it.",
                number=section.revision,
                date=f"{section.submitted_on:%-d %B %Y}",
            )
        )


def check_editable(section: ReportSection) -> None:
    if section.is_submitted:
        raise SectionFrozen(section)


def check_filed_language(section: ReportSection) -> None:
    """Only the English section is filed: a working copy is neither submitted nor filled into the report."""
    if section.is_working_copy:
        raise SectionError.working_copy(section)


def touch(section: ReportSection) -> None:
    """Bump the section's version even when only its rows changed, so a stale edit form is a conflict."""
    section.updated_at = utcnow()


# Reading


def sections_of_period(period_id: int) -> list[ReportSection]:
    """The English revisions of a period's section (the working copies apart)."""
    return db.session.scalars(
        sa.select(ReportSection)
        .where(ReportSection.period_id == period_id, ReportSection.language == FILED_LANGUAGE)
        .order_by(ReportSection.revision)
    ).all()


def latest_section(period_id: int) -> ReportSection | None:
    return db.session.scalar(
        sa.select(ReportSection)
        .where(ReportSection.period_id == period_id, ReportSection.language == FILED_LANGUAGE)
        .order_by(ReportSection.revision.desc())
        .limit(1)
    )


def shown_rows(section: ReportSection) -> list[ReportOutput]:
    """The rows the report prints, in its order (hidden ones left out)."""
    return [row for row in section.outputs if not row.is_hidden]


def draft_for(section: ReportSection) -> drafting.Draft:
    """The draft of the section's period, its template rows in the section's order: names are given in full where
    the section first mentions them."""
    order = [row.key for row in shown_rows(section) if row.key]
    return drafting.draft(section.centre, section.period, order, language=section.language or FILED_LANGUAGE)


def live_section(section: ReportSection, draft: drafting.Draft | None = None) -> Section:
    """A draft as it prints today: the words staff edited, the figures and rates the registers give now."""
    draft = draft or draft_for(section)
    outputs = []
    for row in shown_rows(section):
        drafted = draft.rows.get(row.key)
        outputs.append(
            Output(
                title=row.title,
                status=row.status,
                details=row.details,
                key=row.key,
                suggested_status=drafted.suggested_status if drafted else None,
                figures=drafted.figures if drafted else [],
                links=row.links or {},
            )
        )
    return Section(
        centre_code=section.centre.code,
        centre_name=section.centre.display_name,
        centre_official_name=section.centre.name,
        period_label=section.period.label,
        period_span=drafting.period_span(section.period),
        outcome=section.outcome,
        outputs=outputs,
        narrative=Narrative(section.worked_well, section.challenges, section.solutions),
        key_figures=section.key_figures,
        key_figure_list=draft.key_figure_list,
        reporting_currency=draft.reporting_currency,
        conversion_policy=draft.conversion_policy,
        rates_used=draft.rates_used,
        revision=section.revision,
        language=section.language or FILED_LANGUAGE,
        links=section.links or {},
        annex=draft.annex,
        synthesis=draft.synthesis,
    )


def section_data(section: ReportSection) -> Section:
    """What every export prints: the frozen snapshot once submitted, the live draft before."""
    if section.is_submitted:
        return Section.from_json(section.snapshot)
    return live_section(section)


# Writing


def previous_outcome(centre, period) -> str | None:
    """The outcome of the centre's latest earlier period: it comes from the workplan, which outlives a period."""
    earlier = db.session.scalar(
        sa.select(ReportSection.outcome)
        .join(ReportingPeriod, ReportingPeriod.id == ReportSection.period_id)
        .where(
            ReportSection.centre_id == centre.id,
            ReportSection.language == FILED_LANGUAGE,
            ReportingPeriod.starts_on < period.starts_on,
        )
        .order_by(ReportingPeriod.starts_on.desc(), ReportSection.revision.desc())
        .limit(1)
    )
    return earlier or None


def start_section(centre, period) -> ReportSection:
    """The first revision of a period's section, drafted from the records, each drafted word linked to them."""
    if latest_section(period.id) is not None:
        raise SectionError(
            _("The %(period)s section of %(centre)s is already started.", period=period.label, centre=centre.code)
        )
    draft = drafting.draft(centre, period)
    section = ReportSection(centre=centre, period=period, revision=1, links={})
    for name, drafted in draft.texts.items():
        write_linked(section, name, drafted.render())
    outcome = previous_outcome(centre, period)
    if outcome:
        write_linked(section, "outcome", LinkedText(outcome))
    for position, (key, title) in enumerate(TEMPLATE_ROWS):
        drafted = draft.rows[key]
        row = ReportOutput(
            centre_id=centre.id,
            position=position,
            key=key,
            title=title,
            status=drafted.suggested_status,
            # "Additional result(s)" with nothing to tell starts left out, as the reports leave such a row out.
            is_hidden=key in OPTIONAL_ROWS and drafted.suggested_status == OutputStatus.NOT_STARTED,
        )
        write_row(row, drafted.text.render())
        section.outputs.append(row)
    db.session.add(section)
    db.session.flush()
    return section


def working_copies(period_id: int) -> list[ReportSection]:
    return db.session.scalars(
        sa.select(ReportSection)
        .where(ReportSection.period_id == period_id, ReportSection.language != FILED_LANGUAGE)
        .order_by(ReportSection.language, ReportSection.revision)
    ).all()


def working_copy(period_id: int, language: str) -> ReportSection | None:
    return db.session.scalar(
        sa.select(ReportSection)
        .where(ReportSection.period_id == period_id, ReportSection.language == language)
        .order_by(ReportSection.revision.desc())
        .limit(1)
    )


def start_working_copy(section: ReportSection, language: str) -> tuple[ReportSection, bool]:
    """(the period's working copy in ``language``, whether it was drafted now): drafted from the same records as
    the English section, in its rows' order and with its rows shown and hidden; one per language, never filed."""
    if language not in WORKING_LANGUAGES:
        raise SectionError(_("A working copy is drafted in Chinese or Russian."))
    existing = working_copy(section.period_id, language)
    if existing is not None:
        return existing, False
    order = [row.key for row in shown_rows(section) if row.key]
    draft = drafting.draft(section.centre, section.period, order, language=language)
    copy = ReportSection(centre=section.centre, period=section.period, revision=1, language=language, links={})
    for name, drafted in draft.texts.items():
        write_linked(copy, name, drafted.render())
    titles = dict(TEMPLATE_ROWS)
    for position, row in enumerate(section.outputs):
        drafted = draft.rows.get(row.key) if row.key else None
        title = in_language(titles[row.key], language) if row.key and row.title == titles.get(row.key) else row.title
        copied = ReportOutput(
            centre_id=section.centre_id,
            position=position,
            key=row.key,
            title=title,
            status=drafted.suggested_status if drafted else row.status,
            is_hidden=row.is_hidden,
            links={},
        )
        if drafted:
            write_row(copied, drafted.text.render())
        else:
            copied.details = row.details
        copy.outputs.append(copied)
    db.session.add(copy)
    db.session.flush()
    return copy, True


def linked_text(section: ReportSection, name: str) -> LinkedText:
    return LinkedText.of(getattr(section, name) or "", (section.links or {}).get(name))


def write_linked(section: ReportSection, name: str, linked: LinkedText) -> None:
    setattr(section, name, linked.text)
    # A new dict: the JSON column is saved when the attribute is assigned, not when a dict in it changes.
    section.links = {**(section.links or {}), name: linked.to_json()}


def row_text(row: ReportOutput) -> LinkedText:
    return LinkedText.of(row.details or "", row.links)


def write_row(row: ReportOutput, linked: LinkedText) -> None:
    row.details = linked.text
    row.links = linked.to_json()


def clean_status(value: str) -> str:
    try:
        return OutputStatus(value).value
    except ValueError as error:
        raise SectionError(_("Choose Not started, In progress or Completed."), "status") from error


def clean_text(value: str | None) -> str:
    """Text as typed, with the browser's CRLF line ends made plain, so a redraft compares like with like."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def save_section(section: ReportSection, data: dict) -> ReportSection:
    """Apply the edit form: the texts (their drafted words keep their links wherever staff left them) and, row by
    row (matched by id), title, status, details, place and whether the report shows it."""
    check_editable(section)
    for name, _label in TEXT_FIELDS:
        write_linked(section, name, rebase(linked_text(section, name), clean_text(data.get(name))))
    rows = {row.id: row for row in section.outputs}
    entries = data.get("outputs") or []
    for entry in entries:
        raw_id = (entry["id"] or "").strip()
        row = rows.get(int(raw_id)) if raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 12 else None
        if row is None:
            raise SectionError(_("A row of this form no longer exists: reload the page."))
        title = " ".join((entry.get("title") or "").split())
        if not title:
            raise SectionError(_("Every output needs a title."), "outputs")
        row.title = title
        row.status = clean_status(entry["status"])
        row.is_hidden = bool(entry.get("hidden"))
        write_row(row, rebase(row_text(row), clean_text(entry.get("details"))))
    titles = [row.title.casefold() for row in section.outputs if not row.is_hidden]
    if len(titles) != len(set(titles)):
        raise SectionError(_("Two outputs the report shows have the same title: rename one."), "outputs")
    reorder(section, {int(e["id"]): e.get("position") for e in entries if e.get("position")})
    touch(section)
    db.session.flush()
    return section


def reorder(section: ReportSection, wanted: dict[int, object]) -> None:
    """Rows placed where staff asked ("1" first), the others keeping their order around them."""
    current = {row.id: index for index, row in enumerate(section.outputs)}

    def place(row):
        try:
            chosen = int(wanted.get(row.id))
        except (TypeError, ValueError):
            chosen = current[row.id] + 1
        return (chosen, current[row.id] != chosen - 1, current[row.id])

    for position, row in enumerate(sorted(section.outputs, key=place)):
        row.position = position
    section.outputs.sort(key=lambda row: row.position)


def add_row(section: ReportSection, title: str) -> ReportOutput:
    check_editable(section)
    title = " ".join(title.split())
    if not title:
        raise SectionError(_("Give the output a title."), "title")
    if any(row.title.casefold() == title.casefold() for row in section.outputs):
        raise SectionError(_("The table already has an output called %(title)r.", title=title), "title")
    position = max((row.position for row in section.outputs), default=-1) + 1
    row = ReportOutput(centre_id=section.centre_id, position=position, title=title, links={})
    section.outputs.append(row)
    touch(section)
    db.session.flush()
    return row


def remove_row(section: ReportSection, row_id: int) -> None:
    check_editable(section)
    row = next((row for row in section.outputs if row.id == row_id), None)
    if row is None:
        raise SectionError(_("That row is not in this section."))
    if row.is_template_row:
        raise SectionError(
            _("%(title)r is a row of the reporting template: hide it instead of removing it.", title=row.title)
        )
    section.outputs.remove(row)
    touch(section)
    db.session.flush()


# Redrafting: each figure or name drafted into a text updated in place, each new sentence offered, each shown for
# acceptance; the words staff wrote never replaced.


@dataclass
class FieldChanges:
    """What a redraft offers in one field: ``field`` is "outcome", "worked_well"... or "details:<row id>"."""

    field: str
    label: str
    changes: list[Change]
    # The field holds words but no linked ones (written before links were kept, or rewritten): only replacing the
    # whole field, if staff choose to, would bring the new draft in.
    unlinked: bool = False
    draft_text: str = ""

    def key(self, change: Change) -> str:
        return f"{self.field}|{change.kind}|{change.key}"


@dataclass
class StatusChange:
    row_id: int
    label: str
    current: str
    suggested: str

    @property
    def key(self) -> str:
        return f"status:{self.row_id}"


@dataclass
class Redraft:
    fields: list[FieldChanges]
    statuses: list[StatusChange]

    @property
    def count(self) -> int:
        offered = sum(len([c for c in f.changes if c.kind != "gone"]) + f.unlinked for f in self.fields)
        return offered + len(self.statuses)

    def choices(self) -> list[tuple[str, str]]:
        keys = [(f.key(c), f.label) for f in self.fields for c in f.changes if c.kind != "gone"]
        keys += [(f"{f.field}|replace|", f.label) for f in self.fields if f.unlinked]
        return keys + [(s.key, s.label) for s in self.statuses]


@dataclass
class Field:
    """A text a redraft looks at: ``field`` as in FieldChanges; ``linked`` is False for words kept without links
    (written before links were kept)."""

    field: str
    label: str
    text: LinkedText
    linked: bool


def texts_of(section: ReportSection) -> list[Field]:
    """Every text a redraft looks at, the template rows the report shows included."""
    links = section.links or {}
    fields = [Field(name, label, linked_text(section, name), name in links) for name, label in TEXT_FIELDS]
    fields += [
        Field(f"details:{row.id}", row.title, row_text(row), bool(row.links)) for row in shown_rows(section) if row.key
    ]
    return fields


def drafted_for(draft: drafting.Draft, section: ReportSection, field: str) -> Drafted:
    if field.startswith("details:"):
        row = next(row for row in section.outputs if str(row.id) == field.split(":")[1])
        return draft.rows[row.key].text
    return draft.texts[field]


def redraft_changes(section: ReportSection, draft: drafting.Draft | None = None) -> Redraft:
    """What the records now give that the section's words do not."""
    draft = draft or draft_for(section)
    fields = []
    for item in texts_of(section):
        new = drafted_for(draft, section, item.field)
        if not item.linked and item.text.text.strip():
            rendered = new.render().text
            if rendered != item.text.text:
                fields.append(FieldChanges(item.field, item.label, [], unlinked=True, draft_text=rendered))
            continue
        changes = linked_changes(item.text, new)
        if changes:
            fields.append(FieldChanges(item.field, item.label, changes))
    statuses = []
    for row in shown_rows(section):
        row_draft = draft.rows.get(row.key)
        if row_draft and row.status != row_draft.suggested_status:
            current, suggested = OutputStatus(row.status).label, OutputStatus(row_draft.suggested_status).label
            statuses.append(StatusChange(row.id, f"{row.title}: status", current, suggested))
    return Redraft(fields, statuses)


def apply_redraft(section: ReportSection, accepted: set[str], draft: drafting.Draft | None = None) -> list[str]:
    """Make the accepted changes of ``redraft_changes``; return what changed, in words."""
    check_editable(section)
    draft = draft or draft_for(section)
    applied = []
    rows = {str(row.id): row for row in section.outputs}
    for item in texts_of(section):
        new = drafted_for(draft, section, item.field)
        if f"{item.field}|replace|" in accepted:
            result = new.render()
        else:
            keys = {key.split("|", 2)[2] for key in accepted if key.startswith(f"{item.field}|")}
            if not keys:
                continue
            result = apply_linked(item.text, new, keys)
        if item.field.startswith("details:"):
            write_row(rows[item.field.split(":")[1]], result)
        else:
            write_linked(section, item.field, result)
        applied.append(item.label)
    for key in sorted(accepted):
        if key.startswith("status:") and key.split(":")[1] in rows:
            row = rows[key.split(":")[1]]
            suggested = draft.rows[row.key].suggested_status if row.key in draft.rows else row.status
            if suggested != row.status:
                row.status = suggested
                applied.append(f"{row.title}: status")
    if applied:
        touch(section)
        db.session.flush()
    return applied


# Submission and revisions


def check_filed_on(section: ReportSection, filed_on: date | None, today: date) -> date:
    """The date the report was filed: today unless staff say; never in the future nor before the period began."""
    filed_on = filed_on or today
    if filed_on > today:
        raise SectionError(
            _("%(date)s is in the future: give the day the report was filed.", date=f"{filed_on:%-d %B %Y}"), "filed_on"
        )
    if filed_on < section.period.starts_on:
        raise SectionError(
            _(
                "%(date)s is before the period began (%(start)s).",
                date=f"{filed_on:%-d %B %Y}",
                start=f"{section.period.starts_on:%-d %B %Y}",
            ),
            "filed_on",
        )
    return filed_on


def submit(section: ReportSection, user, filed_on: date | None = None, today: date | None = None) -> ReportSection:
    """Freeze the section as reported: words, figures and the rates used, kept as they are today."""
    check_filed_language(section)
    check_editable(section)
    today = today or utcnow().date()
    section.filed_on = check_filed_on(section, filed_on, today)
    frozen = live_section(section)
    section.submitted_at = utcnow()
    section.submitted_by_id = user.id if user else None
    frozen.submitted_at = section.submitted_at.isoformat()
    frozen.submitted_by = user.email if user else None
    frozen.filed_on = section.filed_on.isoformat()
    section.snapshot = frozen.to_json()
    db.session.flush()
    return section


def new_revision(section: ReportSection) -> ReportSection:
    """A draft that starts from the submitted words (and their links); the submitted revision stays as it was."""
    check_filed_language(section)
    if not section.is_submitted:
        raise SectionError(_("Only a submitted section can be revised; this one is still a draft."))
    latest = latest_section(section.period_id)
    if latest.id != section.id:
        raise SectionError(_("Revision %(number)s already exists: open it instead.", number=latest.revision))
    revision = ReportSection(
        centre_id=section.centre_id,
        period_id=section.period_id,
        revision=section.revision + 1,
        links=dict(section.links or {}),
        **{name: getattr(section, name) for name, _ in TEXT_FIELDS},
    )
    for row in section.outputs:
        revision.outputs.append(
            ReportOutput(
                centre_id=row.centre_id,
                position=row.position,
                key=row.key,
                title=row.title,
                status=row.status,
                details=row.details,
                is_hidden=row.is_hidden,
                links=dict(row.links or {}),
            )
        )
    db.session.add(revision)
    db.session.flush()
    return revision


def find_revision(period_id: int, revision: int | None = None) -> ReportSection | None:
    """The latest submitted revision of a period's section, or the given one (submitted or not)."""
    stmt = sa.select(ReportSection).where(
        ReportSection.period_id == period_id, ReportSection.language == FILED_LANGUAGE
    )
    if revision is None:
        stmt = stmt.where(ReportSection.submitted_at.is_not(None))
    else:
        stmt = stmt.where(ReportSection.revision == revision)
    return db.session.scalar(stmt.order_by(ReportSection.revision.desc()).limit(1))


# Challenges and possible solutions, as staff record them


def save_challenge(challenge: Challenge | None, centre_id: int, data: dict, recorded_by_id: int | None) -> Challenge:
    try:
        area = ChallengeArea(data.get("area"))
    except ValueError:
        raise SectionError(_("Choose the area the challenge belongs to."), "area") from None
    words = clean_text(data.get("challenge"))
    if not words:
        raise SectionError(_("Say what the challenge is, as the report should say it."), "challenge")
    noted, resolved = data.get("noted") or PartialDate(utcnow().date()), data.get("resolved")
    if resolved and resolved.surely_before(noted):
        raise SectionError(_("A challenge cannot be resolved before it was noted."), "resolved")
    values = {"area": area, "challenge": words, "solution": clean_text(data.get("solution")), "noted": noted}
    challenge = create_or_update(
        Challenge, challenge, values | {"resolved": resolved}, centre_id=centre_id, recorded_by_id=recorded_by_id
    )
    db.session.flush()
    return challenge


def delete_challenge(challenge: Challenge) -> None:
    db.session.delete(challenge)
    db.session.flush()
