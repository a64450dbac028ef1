"""The resource-mobilisation section as plain data: what every renderer (HTML, PDF, Word) prints.

A ``Section`` is built either live (a draft: the words staff edited plus the figures the
registers give today) or from the JSON snapshot stored when the section was submitted, so
renderers never touch the database and a submitted section prints the same forever.
"""

import re
from dataclasses import asdict, dataclass, field
from datetime import date

from flask_babel import force_locale, gettext

from crm.core.enums import LabelledEnum

# The report is filed in English: only a section in this language is submitted.
FILED_LANGUAGE = "en"
# A working copy's language by its own name.
LANGUAGE_NAMES = {"zh_Hans_CN": "中文", "ru": "Русский"}


def N_(text: str) -> str:
    """Marks the filed section's English words for the catalogues; they are translated only in a working copy
    (``in_language``), so the English export never changes."""
    return text


def in_language(text: str, language: str) -> str:
    """``text`` (a marked English word of the template) in a working copy's language; as it is in English."""
    if not text or language == FILED_LANGUAGE:
        return text
    with force_locale(language):
        return gettext(text)


# The template's words, as the TSCC reporting template (2025-2026) prints them.
AREA_HEADING = N_("3. Partnership development and resource mobilization")
OUTPUTS_HEADER = (N_("Outputs"), N_("Status"), N_("Details"))
NARRATIVE_HEADING = N_("What has worked well, ongoing challenges and possible solutions")
NARRATIVE_PARTS = (
    ("worked_well", N_("What worked well:")),
    ("challenges", N_("Challenges:")),
    ("solutions", N_("Possible solutions:")),
)
KEY_FIGURES_HEADING = N_("Part III. Key achievement: partnership network and resource mobilization")
ANNEX_HEADING = N_("Annex. Supporting documentation: the records behind the section")
RATES_HEADING = N_("Annex. Currency conversion")
OUTCOME_LABEL = N_("Outcome 3:")
RATES_HEADER = (N_("Rate"), N_("Date"), N_("Source"), N_("Reference"))
REPORTING_CURRENCY = N_("Reporting currency: %(currency)s.")
NO_CONVERSION = N_("No amount needed converting.")
NO_RATE = N_("No exchange rate was used.")
PAGE_OF = N_("Page %(number)s of %(total)s")
BIENNIAL_REPORT = N_("Biennial report %(period)s")
# The label every page and export of a working copy carries.
WORKING_COPY = N_("Working copy in %(language)s — not filed")
DEFAULT_OUTCOME = (
    "The TSCC initiates partnership development and begins the process of identifying and developing "
    "sustainable, long-term resource mobilization."
)
# The template's output rows, in its order; staff may retitle, move and hide them, and add their own.
TEMPLATE_ROWS = (
    ("partnerships", N_("Partnerships developed")),
    ("proposals", N_("Project proposals submitted")),
    ("resources", N_("Resources mobilized")),
    ("strategy", N_("Resource mobilization strategy")),
    ("additional", N_("Additional result(s)")),
)

# The template's indicative word counts.
DETAILS_WORD_LIMIT = 150
NARRATIVE_WORD_LIMIT = 500
KEY_FIGURES_WORD_LIMIT = 150


class OutputStatus(LabelledEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"

    # Words of the filed section, which is written in English: not translated.
    # (A working copy prints them in its language: ``Section.words``.)
    __labels__ = {"not_started": N_("Not started"), "in_progress": N_("In progress"), "completed": N_("Completed")}


STATUS_CHOICES = [(status.value, status.label) for status in OutputStatus]

# A Chinese or Japanese character counts as a word; elsewhere a word is a run of non-space characters.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff"
_WORD = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")


def word_count(text: str | None) -> int:
    return len(_WORD.findall(text or ""))


def paragraphs(text: str | None) -> list[str]:
    """The paragraphs of a text as staff typed it: separated by blank lines, single line breaks kept inside."""
    blocks = re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").strip())
    return [block.strip() for block in blocks if block.strip()]


@dataclass
class WordCount:
    words: int
    limit: int

    @property
    def is_over(self) -> bool:
        return self.words > self.limit

    def __str__(self) -> str:
        return f"{self.words} / {self.limit} words"


@dataclass
class Figure:
    """A number drafted from the records, with the list of records behind it (an endpoint and its arguments)."""

    label: str
    value: str
    endpoint: str | None = None
    args: dict = field(default_factory=dict)


@dataclass
class Output:
    title: str
    status: str
    details: str
    key: str | None = None
    suggested_status: str | None = None
    figures: list[Figure] = field(default_factory=list)
    # Where the words drafted from the records sit in ``details`` (crm.reports.linked.LinkedText.to_json).
    links: dict = field(default_factory=dict)

    @property
    def status_label(self) -> str:
        return OutputStatus(self.status).label

    @property
    def suggested_label(self) -> str | None:
        return OutputStatus(self.suggested_status).label if self.suggested_status else None

    @property
    def word_count(self) -> WordCount:
        return WordCount(word_count(self.details), DETAILS_WORD_LIMIT)


@dataclass
class Narrative:
    worked_well: str = ""
    challenges: str = ""
    solutions: str = ""

    def parts(self) -> list[tuple[str, str, str]]:
        """(field, heading, text) in the template's order."""
        return [(name, heading, getattr(self, name)) for name, heading in NARRATIVE_PARTS]

    @property
    def word_count(self) -> WordCount:
        return WordCount(sum(word_count(text) for _, _, text in self.parts()), NARRATIVE_WORD_LIMIT)


@dataclass
class RateUsed:
    """One exchange rate a converted figure relied on, as the money engine reported it."""

    base: str
    quote: str
    rate: str
    effective_on: str
    source: str
    reference: str = ""


@dataclass
class AnnexTable:
    """One table of the annex ("attach relevant supporting documentation in annex"): the records behind the
    section, as plain strings."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    empty: str = ""
    note: str = ""


@dataclass
class Synthesis:
    """What the GCE's compilation sets side by side for each centre (``crm.reports.compilation``): counts, the money
    mobilised per currency (exact, as strings) and the in-kind support by its description."""

    partners_developed: int = 0
    proposals_submitted: int = 0
    proposals_funded: int = 0
    mobilised: dict[str, str] = field(default_factory=dict)
    in_kind: list[str] = field(default_factory=list)


@dataclass
class Section:
    centre_code: str
    centre_name: str
    period_label: str
    period_span: str
    outcome: str
    outputs: list[Output]
    narrative: Narrative
    key_figures: str = ""
    key_figure_list: list[Figure] = field(default_factory=list)
    reporting_currency: str = ""
    conversion_policy: str = ""
    rates_used: list[RateUsed] = field(default_factory=list)
    revision: int = 1
    submitted_at: str | None = None
    submitted_by: str | None = None
    # The centre's official name, as the report's title page writes it.
    centre_official_name: str = ""
    # The date filed (ISO), as staff gave it on submission.
    filed_on: str | None = None
    # Per text field ("outcome", "worked_well", ...): where the drafted words sit (see Output.links).
    links: dict = field(default_factory=dict)
    annex: list[AnnexTable] = field(default_factory=list)
    synthesis: Synthesis | None = None
    # "en" as filed; a working copy's locale ("zh_Hans_CN", "ru"): never submitted.
    language: str = FILED_LANGUAGE

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def is_working_copy(self) -> bool:
        return self.language != FILED_LANGUAGE

    def words(self, text: str, **values) -> str:
        """A word of the template as this section prints it: in English as filed, translated in a working copy."""
        text = in_language(text, self.language)
        return text % values if values else text

    @property
    def working_copy_label(self) -> str:
        """ "工作副本（中文）——不提交 · Working copy in 中文 — not filed": in both languages, so that nobody reading
        either takes it for the filed section; empty for the English section."""
        if not self.is_working_copy:
            return ""
        name = LANGUAGE_NAMES.get(self.language, self.language)
        english = WORKING_COPY % {"language": name}
        own = self.words(WORKING_COPY, language=name)
        return english if own == english else f"{own} · {english}"

    @property
    def submitted_on(self) -> str | None:
        """The day filed (ISO): as staff gave it, or the day it was marked submitted."""
        if not self.is_submitted:
            return None
        return self.filed_on or self.submitted_at[:10]

    @property
    def key_figures_word_count(self) -> WordCount:
        return WordCount(word_count(self.key_figures), KEY_FIGURES_WORD_LIMIT)

    @property
    def official_name(self) -> str:
        return self.centre_official_name or self.centre_name

    @property
    def running_header(self) -> str:
        """The centre's official name, as the report is filed under it."""
        return f"{self.official_name} ({self.centre_code})"

    @property
    def status_line(self) -> str:
        """ "Biennial report 2025-2026 · Draft, revision 2" or "... · Revision 1, submitted 30 April 2026"."""
        if self.is_working_copy:
            return f"{self.words(BIENNIAL_REPORT, period=self.period_label)} · {self.working_copy_label}"
        if self.is_submitted:
            day = date.fromisoformat(self.submitted_on)
            state = f"Revision {self.revision}, submitted {day.day} {day:%B %Y}"
        else:
            state = f"Draft, revision {self.revision}"
        return f"Biennial report {self.period_label} · {state}"

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Section":
        """A stored snapshot, whatever revision of this shape it was stored with (older ones lack the annex,
        the synthesis and the links)."""
        data = dict(data)
        data["outputs"] = [
            Output(**{**row, "figures": [Figure(**f) for f in row.get("figures", [])]}) for row in data["outputs"]
        ]
        data["narrative"] = Narrative(**data["narrative"])
        data["key_figure_list"] = [Figure(**f) for f in data.get("key_figure_list", [])]
        data["rates_used"] = [RateUsed(**r) for r in data.get("rates_used", [])]
        data["annex"] = [AnnexTable(**t) for t in data.get("annex", [])]
        data["synthesis"] = Synthesis(**data["synthesis"]) if data.get("synthesis") else None
        return cls(**data)
