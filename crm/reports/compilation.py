"""The GCE's network compilation: every centre's submitted section for a period, as one document for SBI.

It opens with a synthesis table, one line per centre (partners developed, proposals submitted and funded, the
resources mobilised per currency and in US dollars at the UN operational rates, the in-kind support), then gives
each centre's section as it was submitted (the frozen snapshot: a newer draft never leaks in), and lists the
centres that have not submitted yet. The dollar figures are converted here, from the exact amounts each centre
submitted, at the UN operational rate of its period's end; where none was imported the figure says so.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from reportlab.platypus import PageBreak

from crm.centres.models import Centre, ReportingPeriod
from crm.extensions import db
from crm.money.conversion import ConversionError
from crm.money.models import RateSource
from crm.money.totals import ConvertedTotal
from crm.money.value import Money
from crm.reports import docx as word
from crm.reports import pdf
from crm.reports.drafting import COMPARISON_CURRENCY, Converter, amount_text, unbroken
from crm.reports.fonts import register_pdf_font
from crm.reports.models import FILED_LANGUAGE, ReportSection
from crm.reports.pdf import Paragraph
from crm.reports.section import Section

TITLE = "Partnership development and resource mobilization across the TSCC network"
SOURCE = (RateSource.UN,)
COLUMNS = [
    "Centre",
    "Partners developed",
    "Proposals submitted",
    "Proposals funded",
    "Resources mobilized",
    f"In {COMPARISON_CURRENCY} (UN operational rates)",
    "In-kind support",
]


@dataclass
class Entry:
    """One centre's line of the compilation: its submitted section, or why there is none."""

    centre: Centre
    period: ReportingPeriod
    section: Section | None = None
    revision: int | None = None
    newer_draft: int | None = None
    mobilised: list[Money] = field(default_factory=list)
    converted: Money | None = None
    unconverted: list[str] = field(default_factory=list)

    @property
    def submitted_on(self) -> date | None:
        return date.fromisoformat(self.section.submitted_on) if self.section else None


@dataclass
class Compiled:
    label: str
    entries: list[Entry]
    rates: list = field(default_factory=list)
    statement: str = ""
    compiled_on: date = field(default_factory=date.today)

    @property
    def submitted(self) -> list[Entry]:
        return [entry for entry in self.entries if entry.section]

    @property
    def missing(self) -> list[Entry]:
        return [entry for entry in self.entries if not entry.section]

    def totals(self) -> list[str]:
        """The synthesis table's last line: sums over the centres that submitted."""
        rows = [entry.section.synthesis for entry in self.submitted if entry.section.synthesis]
        per_currency: dict[str, Decimal] = {}
        for entry in self.submitted:
            for money in entry.mobilised:
                per_currency[money.currency] = per_currency.get(money.currency, Decimal(0)) + money.amount
        converted = sum((e.converted.amount for e in self.submitted if e.converted), Decimal(0))
        complete = not any(e.unconverted for e in self.submitted)
        dollars = money_cell(Money(converted, COMPARISON_CURRENCY)) if complete else "not converted for every centre"
        return [
            f"{len(self.submitted)} of {len(self.entries)} centres",
            str(sum(r.partners_developed for r in rows)),
            str(sum(r.proposals_submitted for r in rows)),
            str(sum(r.proposals_funded for r in rows)),
            "; ".join(money_cell(Money(a, c)) for c, a in sorted(per_currency.items())) or "none",
            dollars,
            str(sum(len(r.in_kind) for r in rows)),
        ]

    def table(self) -> list[list[str]]:
        return [line(entry) for entry in self.submitted] + [self.totals()]


def line(entry: Entry) -> list[str]:
    synthesis = entry.section.synthesis
    name = f"{entry.centre.display_name} (revision {entry.revision}, submitted {entry.submitted_on:%-d %B %Y})"
    if synthesis is None:
        return [name, *(["not recorded in this submission"] * (len(COLUMNS) - 1))]
    dollars = money_cell(entry.converted) if entry.converted else ""
    if entry.unconverted:
        dollars = f"{dollars} (without: {'; '.join(entry.unconverted)})" if dollars else "; ".join(entry.unconverted)
    return [
        name,
        str(synthesis.partners_developed),
        str(synthesis.proposals_submitted),
        str(synthesis.proposals_funded),
        "; ".join(money_cell(m) for m in entry.mobilised) or "none",
        dollars or "none",
        "; ".join(synthesis.in_kind) or "none",
    ]


def money_cell(money: Money) -> str:
    return unbroken(amount_text(money))


def period_labels() -> list[str]:
    """Every reporting period's label, the latest first."""
    rows = db.session.execute(
        sa.select(ReportingPeriod.label, sa.func.max(ReportingPeriod.starts_on)).group_by(ReportingPeriod.label)
    ).all()
    return [label for label, _ in sorted(rows, key=lambda row: row[1], reverse=True)]


def gather(label: str) -> Compiled:
    """Every centre with a period of this label, its latest submitted revision, and any newer draft (three
    statements whatever the number of centres)."""
    periods = db.session.scalars(
        sa.select(ReportingPeriod).join(Centre).where(ReportingPeriod.label == label).order_by(Centre.code)
    ).all()
    sections = db.session.scalars(
        sa.select(ReportSection)
        .where(ReportSection.period_id.in_([p.id for p in periods]), ReportSection.language == FILED_LANGUAGE)
        .order_by(ReportSection.revision)
    ).all()
    by_period: dict[int, list[ReportSection]] = {}
    for section in sections:
        by_period.setdefault(section.period_id, []).append(section)
    compiled = Compiled(label, [])
    for period in periods:
        revisions = by_period.get(period.id, [])
        submitted = [s for s in revisions if s.is_submitted]
        entry = Entry(period.centre, period)
        if submitted:
            latest = submitted[-1]
            entry.section, entry.revision = Section.from_json(latest.snapshot), latest.revision
            drafts = [s.revision for s in revisions if s.revision > latest.revision]
            entry.newer_draft = drafts[-1] if drafts else None
            convert(entry, compiled)
        elif revisions:
            entry.newer_draft = revisions[-1].revision
        compiled.entries.append(entry)
    return compiled


def convert(entry: Entry, compiled: Compiled) -> None:
    """The centre's money in US dollars at the UN operational rates of its period's end, from the exact sums."""
    synthesis = entry.section.synthesis
    if synthesis is None:
        return
    entry.mobilised = [Money(Decimal(amount), code) for code, amount in sorted(synthesis.mobilised.items())]
    if not entry.mobilised:
        return
    converter = Converter({m.currency for m in entry.mobilised}, [COMPARISON_CURRENCY], entry.period, SOURCE)
    results = [converter.convert(money, COMPARISON_CURRENCY) for money in entry.mobilised]
    entry.unconverted = [f"{r.money.currency} {r.not_converted}" for r in results if isinstance(r, ConversionError)]
    total = ConvertedTotal.of_conversions(COMPARISON_CURRENCY, results)
    entry.converted = None if total.converted_nothing else total.total
    compiled.rates += [rate for rate in converter.rates_used if rate not in compiled.rates]
    compiled.statement = converter.statement()


def intro(compiled: Compiled) -> list[str]:
    names = ", ".join(f"{e.centre.display_name}" for e in compiled.submitted) or "none"
    text = [
        f"Compiled by the Global Coordination Entity on {compiled.compiled_on:%-d %B %Y} from the sections the "
        f"centres submitted for the {compiled.label} period: {names}. Each section is given as submitted; the "
        "synthesis table sets their figures side by side.",
    ]
    if compiled.missing:
        text.append(
            "Not yet submitted: "
            + "; ".join(
                e.centre.display_name + (f" (revision {e.newer_draft} in draft)" if e.newer_draft else " (not started)")
                for e in compiled.missing
            )
            + "."
        )
    newer = [e for e in compiled.submitted if e.newer_draft]
    if newer:
        text.append(
            "A newer draft is in preparation for "
            + "; ".join(f"{e.centre.display_name} (revision {e.newer_draft})" for e in newer)
            + ": the compilation holds the revision submitted."
        )
    return text


def rates_text(compiled: Compiled) -> str:
    if not compiled.rates:
        return "No amount needed converting, or no UN operational rate was found (see the table)."
    cited = "; ".join(f"1 {r.base} = {r.rate} {r.quote} ({r.source}, {r.effective_on})" for r in compiled.rates)
    return f"{compiled.statement} Rates used: {cited}."


def centre_heading(entry: Entry) -> str:
    return (
        f"{entry.section.official_name} ({entry.centre.code}): revision {entry.revision}, submitted "
        f"{entry.submitted_on:%-d %B %Y}"
    )


# --- the two renderings ----------------------------------------------------------------------------------------


def render_pdf(compiled: Compiled) -> bytes:
    font = register_pdf_font()
    st = pdf.styles(font)
    with pdf.noting_unprintable() as unprintable:
        story = [
            Paragraph(pdf.markup(TITLE), st["title"]),
            Paragraph(pdf.markup(f"Period {compiled.label}"), st["h2"]),
        ]
        story += [Paragraph(pdf.markup(text), st["body"]) for text in intro(compiled)]
        story.append(Paragraph("Synthesis", st["h2"]))
        widths = pdf.column_widths(COLUMNS, compiled.table(), pdf.TEXT_WIDTH, font, pdf.CELL_SIZE)
        story.append(pdf.table_of(COLUMNS, compiled.table(), widths, st))
        story.append(Paragraph(pdf.markup(rates_text(compiled)), st["small"]))
        for entry in compiled.submitted:
            story.append(PageBreak())
            story.append(Paragraph(pdf.markup(centre_heading(entry)), st["h2"]))
            story += pdf.section_story(entry.section, st, font)
        header = [pdf.markup(line) for line in compilation_header(compiled)]
    story += pdf.unprintable_note(unprintable, st["small"])
    return pdf.build(story, header, f"{TITLE} — {compiled.label}", "Global Coordination Entity", font)


def compilation_header(compiled: Compiled) -> list[str]:
    return ["Global Coordination Entity of the TSCC network", f"Compilation for SBI · period {compiled.label}"]


def render_docx(compiled: Compiled) -> bytes:
    document = word.new_document(
        compilation_header(compiled), f"{TITLE} — {compiled.label}", "Global Coordination Entity"
    )
    word.heading(document, TITLE, 0)
    word.heading(document, f"Period {compiled.label}", 2)
    for text in intro(compiled):
        word.add_text(document, text)
    word.heading(document, "Synthesis", 2)
    word.table_of(document, COLUMNS, compiled.table(), word.fitted_widths(COLUMNS, compiled.table()), size=8.5)
    word.add_text(document, rates_text(compiled), size=8.5)
    for entry in compiled.submitted:
        document.add_page_break()
        word.heading(document, centre_heading(entry), 1)
        word.add_section(document, entry.section)
    return word.saved(document)


def render(compiled: Compiled, fmt: str) -> bytes:
    return {"pdf": render_pdf, "docx": render_docx}[fmt](compiled)


def filename(label: str, fmt: str) -> str:
    return f"TSCC-network-compilation-{label}.{fmt}"
