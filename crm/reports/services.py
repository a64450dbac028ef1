"""The section's life: started from a draft, edited, redrafted field by field, submitted (frozen), revised.

Services validate, change and flush; the request (or the CLI) commits.
"""

import difflib
import re
from dataclasses import dataclass

import sqlalchemy as sa

from crm.core.errors import RuleError
from crm.core.models import utcnow
from crm.extensions import db
from crm.reports import drafting
from crm.reports.models import ReportOutput, ReportSection
from crm.reports.section import TEMPLATE_ROWS, Narrative, Output, OutputStatus, Section

TEXT_FIELDS = (
    ("outcome", "Outcome"),
    ("worked_well", "What worked well"),
    ("challenges", "Challenges"),
    ("solutions", "Possible solutions"),
    ("key_figures", "Part III key achievement"),
)


class SectionError(RuleError):
    """Refused input in this domain (see crm.core.errors.RuleError)."""


class SectionFrozen(SectionError):
    def __init__(self, section: ReportSection):
        super().__init__(
            f"Revision {section.revision} was submitted on {section.submitted_at:%d %B %Y} and is frozen; "
            "start a new revision to change it."
        )


def check_editable(section: ReportSection) -> None:
    if section.is_submitted:
        raise SectionFrozen(section)


def touch(section: ReportSection) -> None:
    """Bump the section's version even when only its rows changed, so a stale edit form is a conflict."""
    section.updated_at = utcnow()


# Reading


def sections_of_period(period_id: int) -> list[ReportSection]:
    return db.session.scalars(
        sa.select(ReportSection).where(ReportSection.period_id == period_id).order_by(ReportSection.revision)
    ).all()


def latest_section(period_id: int) -> ReportSection | None:
    return db.session.scalar(
        sa.select(ReportSection)
        .where(ReportSection.period_id == period_id)
        .order_by(ReportSection.revision.desc())
        .limit(1)
    )


def live_section(section: ReportSection, draft: drafting.Draft | None = None) -> Section:
    """A draft as it prints today: the words staff edited, the figures and rates the registers give now."""
    draft = draft or drafting.draft(section.centre, section.period)
    outputs = []
    for row in section.outputs:
        drafted = draft.rows.get(row.key)
        outputs.append(
            Output(
                title=row.title,
                status=row.status,
                details=row.details,
                key=row.key,
                suggested_status=drafted.suggested_status if drafted else None,
                figures=drafted.figures if drafted else [],
            )
        )
    return Section(
        centre_code=section.centre.code,
        centre_name=section.centre.display_name,
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
    )


def section_data(section: ReportSection) -> Section:
    """What every export prints: the frozen snapshot once submitted, the live draft before."""
    if section.is_submitted:
        return Section.from_json(section.snapshot)
    return live_section(section)


# Writing


def start_section(centre, period) -> ReportSection:
    """The first revision of a period's section, drafted from the records."""
    if latest_section(period.id) is not None:
        raise SectionError(f"The {period.label} section of {centre.code} is already started.")
    draft = drafting.draft(centre, period)
    section = ReportSection(
        centre=centre,
        period=period,
        revision=1,
        outcome=draft.outcome,
        worked_well=draft.narrative.worked_well,
        challenges=draft.narrative.challenges,
        solutions=draft.narrative.solutions,
        key_figures=draft.key_figures,
    )
    for position, (key, title) in enumerate(TEMPLATE_ROWS):
        drafted = draft.rows[key]
        section.outputs.append(
            ReportOutput(
                centre_id=centre.id,
                position=position,
                key=key,
                title=title,
                status=drafted.suggested_status,
                details=drafted.details,
            )
        )
    db.session.add(section)
    db.session.flush()
    return section


def clean_status(value: str) -> str:
    try:
        return OutputStatus(value).value
    except ValueError as error:
        raise SectionError("Choose Not started, In progress or Completed.", "status") from error


def clean_text(value: str | None) -> str:
    """Text as typed, with the browser's CRLF line ends made plain, so a redraft compares like with like."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def save_section(section: ReportSection, data: dict) -> ReportSection:
    """Apply the edit form: the texts and, row by row (matched by id), status, details and added rows' titles."""
    check_editable(section)
    for name, _ in TEXT_FIELDS:
        setattr(section, name, clean_text(data.get(name)))
    rows = {row.id: row for row in section.outputs}
    for entry in data.get("outputs") or []:
        raw_id = (entry["id"] or "").strip()
        row = rows.get(int(raw_id)) if raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 12 else None
        if row is None:
            raise SectionError("A row of this form no longer exists: reload the page.")
        if not row.is_template_row:
            title = (entry.get("title") or "").strip()
            if not title:
                raise SectionError("Every output needs a title.", "outputs")
            row.title = title
        row.status = clean_status(entry["status"])
        row.details = clean_text(entry.get("details"))
    touch(section)
    db.session.flush()
    return section


def add_row(section: ReportSection, title: str) -> ReportOutput:
    check_editable(section)
    title = title.strip()
    if not title:
        raise SectionError("Give the output a title.", "title")
    if any(row.title.casefold() == title.casefold() for row in section.outputs):
        raise SectionError(f"The table already has an output called {title!r}.", "title")
    position = max((row.position for row in section.outputs), default=-1) + 1
    row = ReportOutput(centre_id=section.centre_id, position=position, title=title)
    section.outputs.append(row)
    touch(section)
    db.session.flush()
    return row


def remove_row(section: ReportSection, row_id: int) -> None:
    check_editable(section)
    row = next((row for row in section.outputs if row.id == row_id), None)
    if row is None:
        raise SectionError("That row is not in this section.")
    if row.is_template_row:
        raise SectionError(f"{row.title!r} is a row of the reporting template and stays in the table.")
    section.outputs.remove(row)
    touch(section)
    db.session.flush()


# Redrafting: shown as a difference first, applied only to the fields staff accept.


@dataclass
class Change:
    key: str  # "outcome", "worked_well"... or "details:<row id>", "status:<row id>"
    label: str
    current: str
    drafted: str

    @property
    def segments(self) -> list[tuple[str, str]]:
        """The difference word by word: ("equal" | "delete" | "insert", text)."""
        return word_diff(self.current, self.drafted)


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    old, new = re.findall(r"\S+|\s+", before), re.findall(r"\S+|\s+", after)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    segments = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("equal", "delete", "replace") and i2 > i1:
            segments.append(("equal" if op == "equal" else "delete", "".join(old[i1:i2])))
        if op in ("insert", "replace") and j2 > j1:
            segments.append(("insert", "".join(new[j1:j2])))
    return segments


def redraft_changes(section: ReportSection, draft: drafting.Draft | None = None) -> list[Change]:
    """Every field whose newly drafted text differs from what the section holds now."""
    draft = draft or drafting.draft(section.centre, section.period)
    drafted = {
        "outcome": draft.outcome,
        "worked_well": draft.narrative.worked_well,
        "challenges": draft.narrative.challenges,
        "solutions": draft.narrative.solutions,
        "key_figures": draft.key_figures,
    }
    changes = [
        Change(name, label, getattr(section, name), drafted[name])
        for name, label in TEXT_FIELDS
        if getattr(section, name) != drafted[name]
    ]
    for row in section.outputs:
        row_draft = draft.rows.get(row.key)
        if row_draft is None:
            continue
        if row.status != row_draft.suggested_status:
            current, suggested = OutputStatus(row.status).label, OutputStatus(row_draft.suggested_status).label
            changes.append(Change(f"status:{row.id}", f"{row.title} — status", current, suggested))
        if row.details != row_draft.details:
            changes.append(Change(f"details:{row.id}", f"{row.title} — details", row.details, row_draft.details))
    return changes


def apply_redraft(section: ReportSection, accepted: set[str], draft: drafting.Draft | None = None) -> list[str]:
    """Replace the accepted fields with the new draft; return the labels of what changed."""
    check_editable(section)
    draft = draft or drafting.draft(section.centre, section.period)
    changes = {change.key: change for change in redraft_changes(section, draft)}
    rows = {str(row.id): row for row in section.outputs}
    applied = []
    for key in sorted(accepted & set(changes)):
        change = changes[key]
        kind, _, row_id = key.partition(":")
        if not row_id:
            setattr(section, key, change.drafted)
        elif kind == "status":
            rows[row_id].status = draft.rows[rows[row_id].key].suggested_status
        else:
            rows[row_id].details = change.drafted
        applied.append(change.label)
    if applied:
        touch(section)
        db.session.flush()
    return applied


# Submission and revisions


def submit(section: ReportSection, user) -> ReportSection:
    """Freeze the section as reported: words, figures and the rates used, kept as they are today."""
    check_editable(section)
    frozen = live_section(section)
    section.submitted_at = utcnow()
    section.submitted_by_id = user.id
    frozen.submitted_at = section.submitted_at.isoformat()
    frozen.submitted_by = user.email
    section.snapshot = frozen.to_json()
    db.session.flush()
    return section


def new_revision(section: ReportSection) -> ReportSection:
    """A draft that starts from the submitted words; the submitted revision stays as it was."""
    if not section.is_submitted:
        raise SectionError("Only a submitted section can be revised; this one is still a draft.")
    latest = latest_section(section.period_id)
    if latest.id != section.id:
        raise SectionError(f"Revision {latest.revision} already exists: open it instead.")
    revision = ReportSection(
        centre_id=section.centre_id,
        period_id=section.period_id,
        revision=section.revision + 1,
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
            )
        )
    db.session.add(revision)
    db.session.flush()
    return revision
