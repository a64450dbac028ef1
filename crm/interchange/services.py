"""Imports, checked whole and written all or nothing through the domains' services; exports of every register.

One run, for one uploaded file (``steps``, or ``run`` when no progress is wanted):

1. read it, with the guards of ``crm.interchange.reading``;
2. match each sheet to a register (the one chosen, else the sheet's name, else its headers) and each header to
   a column; wrong, missing and repeated headers are errors on the header's cell;
3. read every cell (``crm.interchange.cells``): every error is kept, with its sheet, row, column and reason;
4. inside one SAVEPOINT, sheet by sheet with what a row names written first: find the records the cells name
   (``crm.interchange.lookups``), match each row to its stored record (its ref, else its natural key), and
   write what changed through the register's service, each row in its own nested SAVEPOINT so that a refused
   row leaves nothing behind; a service's refusal is an error on the cell of the field it names;
5. keep the SAVEPOINT only when asked to apply, nothing was refused and any likely duplicates were confirmed;
   otherwise roll it back. A preview (dry run) is the same run rolled back, so it reports exactly what the
   import would do: what is created, updated and left alone, per register.

A row equal to its stored record is left alone without calling any service: importing a file twice changes
nothing, and an edited export changes the rows that were edited, in the columns that were.
"""

import difflib
import re
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from operator import attrgetter

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from crm.core.errors import RuleError
from crm.core.models import utcnow
from crm.extensions import db
from crm.interchange import converting, reading, writing
from crm.interchange.cells import CellError, ReadContext, Ref, is_empty
from crm.interchange.lookups import ref_id
from crm.interchange.models import ImportStatus, PendingImport
from crm.interchange.reading import FormulaText, ReadError, ReadOptions, Sheet, header_key
from crm.interchange.registers import (
    REGISTERS,
    Column,
    Context,
    Register,
    known_headers,
    list_span,
    may_import,
    may_see,
    register_named,
)

# Sheets a template or a marked-up copy carries beside the data: skipped without a word.
COMPANION_SHEETS = {"notes", "errors", "example"}
PROGRESS_EVERY = 250
SHOWN_CHANGES = 200  # rows of each register listed on the preview (the counts cover every row)
# "Amount in USD", "Amount in USD: rates": what an export converting the amounts adds.
CONVERTED = re.compile(r"^(.+) in [A-Za-z]{3}(: rates)?$")
PENDING_KEPT = timedelta(days=7)  # an upload nobody confirmed or discarded is let go after this


@dataclass(frozen=True)
class Options:
    register: str = ""  # the register of a CSV file or a single sheet; "" to tell from names and headers
    locale: str = "en"  # how numbers typed as text are written
    encoding: str = ""
    delimiter: str = ""
    create_duplicates: bool = False  # likely duplicates of directory entries confirmed as new entries

    @property
    def reading(self) -> ReadOptions:
        return ReadOptions(encoding=self.encoding, delimiter=self.delimiter)


@dataclass(frozen=True)
class Issue:
    sheet: str
    row: int  # as the spreadsheet numbers it; 0 for the file as a whole
    column: int  # 1-based; 0 for the whole row or sheet
    header: str
    message: str
    is_error: bool = True

    @property
    def cell(self) -> str:
        if not self.row:
            return ""
        return f"{column_letter(self.column)}{self.row}" if self.column else _("row %(row)s", row=self.row)


@dataclass
class Change:
    row: int
    action: str  # "create" | "update" | "unchanged"
    label: str
    ref: str = ""
    headers: list[str] = field(default_factory=list)


@dataclass
class SheetReport:
    register: Register
    sheet: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list[Change] = field(default_factory=list)

    def count(self, change: Change) -> None:
        if change.action == "create":
            self.created += 1
        elif change.action == "update":
            self.updated += 1
        else:
            self.unchanged += 1
        if change.action != "unchanged" and len(self.changes) < SHOWN_CHANGES:
            self.changes.append(change)


@dataclass(frozen=True)
class Duplicate:
    sheet: str
    row: int
    label: str
    matches: list[tuple[str, str]]  # (ref, name) of the stored records it resembles


@dataclass
class Progress:
    done: int
    total: int

    @property
    def line(self) -> str:
        return _("Checked %(done)s of %(total)s rows", done=f"{self.done:,}", total=f"{self.total:,}")


@dataclass
class Outcome:
    described: str = ""
    sheets: list[SheetReport] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    file_error: str = ""
    choice: str = ""  # "encoding" | "delimiter" when the user must say
    applied: bool = False
    seconds: float = 0.0
    # What the marked-up copy repeats: each sheet read, as read.
    read_sheets: list[tuple[Sheet, str]] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.is_error]

    @property
    def warnings(self) -> list[Issue]:
        return [issue for issue in self.issues if not issue.is_error]

    @property
    def total_rows(self) -> int:
        return sum(report.rows for report in self.sheets)

    def can_apply(self, create_duplicates: bool) -> bool:
        return (
            not self.file_error and not self.errors and bool(self.sheets) and (create_duplicates or not self.duplicates)
        )

    def summary(self) -> dict:
        """What is kept of a confirmed import: counts per register."""
        return {
            "rows": self.total_rows,
            "sheets": [
                {
                    "register": r.register.title,
                    "sheet": r.sheet,
                    "created": r.created,
                    "updated": r.updated,
                    "unchanged": r.unchanged,
                }
                for r in self.sheets
            ],
        }


def column_letter(number: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(max(number, 1))


# --- a run -----------------------------------------------------------------------------------------------------


def run(content: bytes, centre, user, options: Options = Options(), *, apply: bool = False) -> Outcome:
    """``steps`` without the progress."""
    walk = steps(content, centre, user, options, apply=apply)
    while True:
        try:
            next(walk)
        except StopIteration as done:
            return done.value


def steps(content: bytes, centre, user, options: Options, *, apply: bool) -> Generator[Progress, None, Outcome]:
    """Check ``content`` whole (and write it when ``apply`` and nothing is refused), yielding progress; the Outcome."""
    started = time.perf_counter()
    outcome = Outcome()
    try:
        workbook = reading.read(content, options.reading, known_headers())
    except ReadError as error:
        outcome.file_error = str(error)
        outcome.choice = getattr(error, "choice", "")
        return outcome
    outcome.described = workbook.described
    plan = _plan(workbook, options, centre, user, outcome)
    if outcome.file_error:
        return outcome
    context = Context(centre=centre, user=user, locale=options.locale)
    total = sum(len(sheet.rows) for _, sheet in plan)
    done = 0
    savepoint = db.session.begin_nested()
    try:
        for register, sheet in plan:
            job = SheetJob(register, sheet, context, outcome)
            for count in job.run():
                yield Progress(done + count, total)
            done += len(sheet.rows)
    except BaseException:
        savepoint.rollback()
        raise
    outcome.applied = apply and outcome.can_apply(options.create_duplicates)
    if outcome.applied:
        savepoint.commit()
    else:
        savepoint.rollback()
    outcome.seconds = time.perf_counter() - started
    return outcome


def _plan(workbook, options: Options, centre, user, outcome: Outcome) -> list[tuple[Register, Sheet]]:
    """Each sheet with its register, in the order they are written; file-level errors into ``outcome``."""
    chosen = register_named(options.register) if options.register else None
    if options.register and chosen is None:
        outcome.file_error = _(
            "There is no register called “%(name)s”: choose one of %(registers)s.",
            name=options.register,
            registers=_register_list(),
        )
        return []
    data_sheets = [sheet for sheet in workbook.sheets if header_key(sheet.name) not in COMPANION_SHEETS]
    planned: dict[str, tuple[Register, Sheet]] = {}
    for sheet in data_sheets:
        register = _register_of(sheet, chosen, len(data_sheets))
        if register is None:
            outcome.skipped.append(
                _(
                    "Sheet “%(sheet)s” is not named after a register (%(registers)s) and was not read.",
                    sheet=sheet.name,
                    registers=_register_list(),
                )
                if len(data_sheets) > 1
                else _(
                    "The columns of “%(sheet)s” do not say which register it is: choose the register.", sheet=sheet.name
                )
            )
            continue
        if register.name in planned:
            outcome.file_error = _(
                "Two sheets hold %(register)s: “%(one)s” and “%(other)s”.",
                register=register.shown_title,
                one=planned[register.name][1].name,
                other=sheet.name,
            )
            return []
        if not may_import(register, user, centre):
            outcome.file_error = _not_allowed(register, centre)
            return []
        if register.scope == "centre" and centre is None:
            outcome.file_error = _(
                "%(register)s belong to a centre: choose the centre to import into.", register=register.shown_title
            )
            return []
        planned[register.name] = (register, sheet)
        outcome.read_sheets.append((sheet, register.title))
    if not planned and not outcome.file_error:
        outcome.file_error = outcome.skipped.pop() if outcome.skipped else _("The file holds no register to import.")
    return [planned[name] for name in REGISTERS if name in planned]


def _register_list() -> str:
    return ", ".join(register.shown_title for register in REGISTERS.values())


def _not_allowed(register: Register, centre) -> str:
    if register.scope == "rates":
        return _("Exchange rates are imported by administrators only.")
    if register.scope == "directory":
        return _("The directory of organisations is kept by the centres' staff and administrators.")
    if centre is None:
        return _("Your account may not import %(register)s into this centre.", register=register.shown_title.lower())
    return _(
        "Your account may not import %(register)s into %(centre)s.",
        register=register.shown_title.lower(),
        centre=centre.code,
    )


def _register_of(sheet: Sheet, chosen: Register | None, sheets: int) -> Register | None:
    named = register_named(sheet.name)
    if chosen is not None:
        return chosen if sheets == 1 or named is chosen else None
    if named is not None:
        return named
    if sheets > 1:
        return None
    return _register_by_headers(sheet)


def _register_by_headers(sheet: Sheet) -> Register | None:
    """The register whose columns the headers name best, when one clearly does."""
    headers = {header_key(text) for text in sheet.headers}
    scores = []
    for register in REGISTERS.values():
        known = register.by_header()
        required = {header_key(c.header) for c in register.columns if c.required}
        hits = sum(1 for header in headers if header in known)
        scores.append((hits - len(headers - known.keys()), required <= headers, register))
    scores.sort(key=lambda item: (item[1], item[0]), reverse=True)
    best = scores[0]
    if best[0] > 0 and best[1] and (not scores[1][1] or scores[1][0] < best[0]):
        return best[2]
    return None


# --- one sheet --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Row:
    number: int
    values: dict = field(default_factory=dict)
    failed: bool = False
    record: object = None
    # Required columns left empty: an error for a new record, or for a stored one whose value it would clear.
    missing: list[str] = field(default_factory=list)


class Ambiguous:
    """A name that may mean several records, until the row's own record says which it already names."""

    def __init__(self, text: str, found: list[int]):
        self.text, self.found = text, found


class SheetJob:
    """Reads one sheet's rows into a register's values and writes them; issues go to the outcome."""

    def __init__(self, register: Register, sheet: Sheet, context: Context, outcome: Outcome):
        self.register, self.sheet, self.context, self.outcome = register, sheet, context, outcome
        self.report = SheetReport(register, sheet.name, rows=len(sheet.rows))
        outcome.sheets.append(self.report)
        self.read_context = ReadContext(locale=context.locale)
        self.positions: dict[str, int] = {}

    def issue(self, row: int, column_key: str | None, message: str, is_error: bool = True) -> None:
        position = self.positions.get(column_key, 0) if column_key else 0
        header = self.sheet.headers[position - 1] if position else ""
        self.outcome.issues.append(Issue(self.sheet.name, row, position, header, message, is_error))

    def cell_issue(self, row: int, position: int, message: str, is_error: bool = True) -> None:
        header = self.sheet.headers[position - 1] if position <= len(self.sheet.headers) else ""
        self.outcome.issues.append(Issue(self.sheet.name, row, position, header, message, is_error))

    def run(self) -> Iterator[int]:
        self.context.indexes.clear()
        columns = self.columns()
        rows = self.read_rows(columns)
        yield 0
        if columns is None:
            return
        stored = self.stored(rows)
        self.resolve(rows)
        self.match(rows, stored)
        self.context.batch = self.register.batch(self.context) if self.register.batch else None
        try:
            for count, row in enumerate(rows, start=1):
                if not row.failed:
                    self.write(row)
                if count % PROGRESS_EVERY == 0:
                    yield count
            if self.context.batch is not None:
                self.finish_batch()
        finally:
            self.context.batch = None
        yield len(rows)

    # Headers

    def columns(self) -> list[Column | None] | None:
        """The column under each header, or None (with errors on the header row) when the headers are wrong."""
        known = self.register.by_header()
        mapping, wrong = [], False
        for position, text in enumerate(self.sheet.headers, start=1):
            column = known.get(header_key(text))
            if column is None and self.converted(text):
                message = _("An amount converted by an export, with its rates: not read (its amount and currency are).")
                self.cell_issue(self.sheet.header_row, position, message, is_error=False)
            elif column is None and text:
                self.cell_issue(self.sheet.header_row, position, self.unknown_header(text))
                wrong = True
            elif column is not None and column.key in self.positions:
                self.cell_issue(self.sheet.header_row, position, _("The column “%(header)s” comes twice.", header=text))
                wrong = True
            elif column is not None:
                self.positions[column.key] = position
            mapping.append(column)
        for column in self.register.columns:
            if column.required and column.key not in self.positions:
                self.outcome.issues.append(
                    Issue(
                        self.sheet.name,
                        self.sheet.header_row,
                        0,
                        "",
                        _("The required column “%(header)s” is missing.", header=column.header),
                    )
                )
                wrong = True
        return None if wrong else mapping

    def converted(self, text: str) -> bool:
        """A header of the columns an export adds when asked to convert (``crm.interchange.converting``)."""
        match = CONVERTED.match(text or "")
        known = self.register.by_header().get(header_key(match.group(1))) if match else None
        return known is not None and bool(known.currency)

    def unknown_header(self, text: str) -> str:
        headers = [column.header for column in self.register.all_columns]
        close = difflib.get_close_matches(text, headers, n=1, cutoff=0.6)
        words = {"header": text, "register": self.register.shown_title, "columns": ", ".join(headers)}
        if close:
            return _(
                "“%(header)s” is not a column of %(register)s. Did you mean “%(close)s”? The columns are: %(columns)s.",
                close=close[0],
                **words,
            )
        return _("“%(header)s” is not a column of %(register)s. The columns are: %(columns)s.", **words)

    # Cells

    def read_rows(self, columns: list[Column | None] | None) -> list[Row]:
        """Every cell of every row read; with wrong headers, the cells under the known ones are still checked."""
        by_position = columns or [self.register.by_header().get(header_key(text)) for text in self.sheet.headers]
        rows = []
        for number, values in self.sheet.rows:
            row = Row(number)
            for position, raw in enumerate(values, start=1):
                column = by_position[position - 1] if position <= len(by_position) else None
                if column is None:
                    if not is_empty(raw) and (
                        position > len(self.sheet.headers) or not self.sheet.headers[position - 1]
                    ):
                        self.cell_issue(number, position, "A value in a column without a header.")
                        row.failed = True
                    continue
                self.read_cell(row, column, position, raw)
            for column in self.register.all_columns:
                if column.key in self.positions and column.key not in row.values:
                    self.read_cell(row, column, self.positions[column.key], None)
            rows.append(row)
        return rows

    def read_cell(self, row: Row, column: Column, position: int, raw) -> None:
        if isinstance(raw, FormulaText):
            message = _("A formula (%(formula)s): read as its text, never calculated.", formula=raw[:60])
            self.cell_issue(row.number, position, message, False)
        if is_empty(raw):
            if column.required:
                row.missing.append(column.key)
            empty = column.reader.empty
            row.values[column.key] = list(empty) if isinstance(empty, list) else empty
            return
        try:
            row.values[column.key] = column.reader.read(raw, self.read_context)
        except CellError as error:
            self.cell_issue(row.number, position, str(error))
            row.failed = True

    # Records

    def stored(self, rows: list[Row]) -> dict:
        keys = {self.register.key(row.values) for row in rows if not row.failed}
        records = db.session.scalars(self.register.stored(self.context, keys)).unique().all()
        return {"by_id": {record.id: record for record in records}, "records": records}

    def resolve(self, rows: list[Row]) -> None:
        """References read as names or refs become ids, one lookup per distinct text."""
        for column in self.register.columns:
            kind = getattr(column.reader, "kind", None)
            if kind is None or column.key not in self.positions:
                continue
            index = self.context.index(kind)
            found: dict[str, list[int] | CellError] = {}
            for row in rows:
                value = row.values.get(column.key)
                items = value if isinstance(value, list) else [value] if isinstance(value, Ref) else []
                resolved = []
                for item in items:
                    if item.text not in found:
                        try:
                            found[item.text] = index.candidates(item.text)
                        except CellError as error:
                            found[item.text] = error
                    result = found[item.text]
                    if isinstance(result, CellError):
                        self.issue(row.number, column.key, str(result))
                        row.failed = True
                        continue
                    resolved.append(result[0] if len(result) == 1 else Ambiguous(item.text, result))
                row.values[column.key] = resolved if isinstance(value, list) else (resolved[0] if resolved else None)

    def match(self, rows: list[Row], stored: dict) -> None:
        """Each row's stored record: by its ref, else by its natural key; a key twice in the file is an error."""
        by_key: dict[tuple, list] = {}
        for record in stored["records"]:
            values = {column.key: column.current(record) for column in self.register.columns}
            by_key.setdefault(self.register.key(values), []).append(record)
        seen: dict[object, int] = {}
        noun = self.register.shown_title.lower()
        for row in rows:
            if row.failed:
                continue
            ref = row.values.get("ref")
            if ref:
                number = ref_id(ref, self.register.prefix)
                row.record = stored["by_id"].get(number) if number is not None else None
                if row.record is None:
                    example = f"{self.register.prefix}-123"
                    if self.register.scope == "centre":
                        message = _(
                            "“%(ref)s” is not a ref of %(register)s in %(centre)s (%(example)s).",
                            ref=ref,
                            register=noun,
                            centre=self.context.centre.code,
                            example=example,
                        )
                    else:
                        message = _(
                            "“%(ref)s” is not a ref of %(register)s in the app (%(example)s).",
                            ref=ref,
                            register=noun,
                            example=example,
                        )
                    self.issue(row.number, "ref", message)
                    row.failed = True
                    continue
            self.settle_ambiguous(row, final=row.record is not None)
            if row.failed:
                continue
            key = self.register.key(row.values)
            if row.record is None:
                matches = by_key.get(key, [])
                if len(matches) > 1:
                    refs = ", ".join(f"{self.register.prefix}-{m.id}" for m in matches[:5])
                    message = _(
                        "Several stored %(register)s match this row (%(refs)s): add the ref.", register=noun, refs=refs
                    )
                    self.issue(row.number, self.key_column(), message)
                    row.failed = True
                    continue
                row.record = matches[0] if matches else None
                self.settle_ambiguous(row, final=True)
                if row.failed:
                    continue
            if self.missing_required(row):
                continue
            identity = row.record.id if row.record is not None else key
            if identity in seen:
                message = _("The same record as row %(row)s: each record once a file.", row=seen[identity])
                self.issue(row.number, self.key_column(), message)
                row.failed = True
                continue
            seen[identity] = row.number

    def missing_required(self, row: Row) -> bool:
        by_key = {column.key: column for column in self.register.columns}
        for key in row.missing:
            column = by_key[key]
            if row.record is None or not column.reader.same(None, column.current(row.record)):
                self.issue(row.number, key, f"Required: {column.holds[:1].lower()}{column.holds[1:]}")
                row.failed = True
        return row.failed

    def key_column(self) -> str:
        return "ref" if "ref" in self.positions else next(iter(self.positions), "")

    def settle_ambiguous(self, row: Row, final: bool) -> None:
        """An ambiguous name: the one the row's record already names, when it names one of them; ``final`` when
        the row's record is known (or known to be new), so that a name still ambiguous is an error."""
        for column in self.register.columns:
            value = row.values.get(column.key)
            items = value if isinstance(value, list) else [value]
            if not any(isinstance(item, Ambiguous) for item in items):
                continue
            current = column.current(row.record) if row.record is not None else []
            current = set(current if isinstance(current, list) else [current])
            index = self.context.index(column.reader.kind)
            chosen = []
            for item in items:
                if not isinstance(item, Ambiguous):
                    chosen.append(item)
                    continue
                try:
                    chosen.append(index.choose(item.text, item.found, current))
                except CellError as error:
                    if final:
                        self.issue(row.number, column.key, str(error))
                        row.failed = True
                    chosen.append(item)
            row.values[column.key] = chosen if isinstance(value, list) else chosen[0]

    # Writing

    def write(self, row: Row) -> None:
        register, record = self.register, row.record
        by_key = {column.key: column for column in register.columns}
        present = {
            key: value
            for key, value in row.values.items()
            if key != "ref" and not (by_key[key].kept_when_empty and value in (None, ""))
        }
        label = register.label(present)
        if record is None:
            self.create(row, present, label)
            return
        current = {column.key: column.current(record) for column in register.columns}
        changed = {key for key, value in present.items() if not by_key[key].reader.same(value, current[key])}
        ref = f"{register.prefix}-{record.id}"
        if not changed:
            self.report.count(Change(row.number, "unchanged", label, ref))
            return
        refused = [key for key in changed if register.history or by_key[key].fixed]
        for key in refused:
            reason = str(by_key[key].fixed) or (
                _(
                    "A stored entry of the %(register)s is not changed by an import: add a new row instead.",
                    register=register.shown_title.lower(),
                )
            )
            self.issue(row.number, key, reason)
        if refused:
            return
        if self.save(row, record, current | present, changed):
            headers = [column.header for column in register.columns if column.key in changed]
            self.report.count(Change(row.number, "update", label, ref, headers))

    def create(self, row: Row, values: dict, label: str) -> None:
        register = self.register
        if register.duplicates is not None:
            likely = register.duplicates(values)
            if likely:
                matches = [
                    (f"{register.prefix}-{record.id}", register.label(_values_of(register, record)))
                    for record in likely
                ]
                self.outcome.duplicates.append(Duplicate(self.sheet.name, row.number, label, matches))
        if self.save(row, None, values, set(values)):
            self.report.count(Change(row.number, "create", label))

    def save(self, row: Row, record, values: dict, changed: set) -> bool:
        try:
            if self.context.batch is not None:
                self.register.save(self.context, record, values, changed)
            else:
                with db.session.begin_nested():
                    self.register.save(self.context, record, values, changed)
        except RuleError as error:
            self.issue(row.number, self.register.column_for_field(error.field), str(error))
            return False
        except sa.exc.IntegrityError as error:
            current_app.logger.info("Import row refused by the database: %s", error.orig)
            self.issue(row.number, None, _("The database refused this row: it conflicts with a stored record."))
            return False
        return True

    def finish_batch(self) -> None:
        try:
            with db.session.no_autoflush:
                self.context.batch.finish()
        except sa.exc.IntegrityError as error:
            current_app.logger.info("Import batch refused by the database: %s", error.orig)
            self.outcome.issues.append(
                Issue(
                    self.sheet.name, 0, 0, "", _("The database refused these rows: one conflicts with a stored record.")
                )
            )


def _values_of(register: Register, record) -> dict:
    return {column.key: column.current(record) for column in register.columns}


# --- pending imports: kept between the preview and the confirmation -------------------------------------------


def stage(content: bytes, filename: str, centre, user, options: Options) -> PendingImport:
    """Keep an uploaded file until its uploader has seen the preview and confirms it; older ones are let go."""
    db.session.execute(sa.delete(PendingImport).where(PendingImport.created_at < utcnow() - PENDING_KEPT))
    pending = PendingImport(
        centre_id=centre.id if centre else None,
        created_by_id=user.id,
        filename=(filename or "upload")[:255],
        content=content,
        size=len(content),
        options={
            "register": options.register,
            "locale": options.locale,
            "encoding": options.encoding,
            "delimiter": options.delimiter,
        },
    )
    db.session.add(pending)
    db.session.flush()
    return pending


def options_of(pending: PendingImport, create_duplicates: bool = False) -> Options:
    return Options(**pending.options, create_duplicates=create_duplicates)


def confirm(pending: PendingImport, user, create_duplicates: bool) -> Outcome:
    """Run the import again, for real: written only if nothing is refused now (records may have changed since)."""
    if pending.status != ImportStatus.PENDING:
        raise RuleError(f"This import was already {pending.status}.")
    outcome = run(pending.content, pending.centre, user, options_of(pending, create_duplicates), apply=True)
    if outcome.applied:
        decide(pending, ImportStatus.CONFIRMED, outcome.summary())
    return outcome


def discard(pending: PendingImport) -> None:
    if pending.status != ImportStatus.PENDING:
        raise RuleError(f"This import was already {pending.status}.")
    decide(pending, ImportStatus.DISCARDED, {})


def decide(pending: PendingImport, status: ImportStatus, result: dict) -> None:
    """Record the decision; the file itself (personal data, often) is not kept once decided."""
    pending.status = status.value
    pending.result = result
    pending.content = b""
    pending.decided_at = utcnow()
    db.session.flush()


# --- the marked-up copy -----------------------------------------------------------------------------------------


def marked_up(outcome: Outcome, filename: str, handle) -> None:
    """The file again as XLSX, each bad cell red with its reason in a comment, and an Errors sheet listing them."""
    summary = [
        ("File", filename),
        ("Read as", outcome.described),
        ("Errors", len(outcome.errors)),
        ("Warnings", len(outcome.warnings)),
        (
            "What to do",
            "Fix the red cells (each comment says why), then upload this file again: the Errors sheet is skipped.",
        ),
    ]
    if outcome.file_error:
        summary.append(("The file", outcome.file_error))
    sheets = []
    for sheet, title in outcome.read_sheets:
        marks = [
            writing.Mark(issue.row or sheet.header_row, issue.column or 1, issue.message, issue.is_error)
            for issue in outcome.issues
            if issue.sheet == sheet.name
        ]
        name = sheet.name if sheet.name != "CSV" else title
        sheets.append(writing.MarkedSheet(name, sheet.header_row, sheet.headers, sheet.rows, marks))
    writing.write_marked_up(handle, summary, sheets)


# --- exports ------------------------------------------------------------------------------------------------


class Operator:
    """Who reads through the command line: whoever runs the server, reading one centre's records (every centre's,
    with ``centre`` None), personal data included."""

    is_admin = True

    def __init__(self, centre=None):
        self.reads_all_centres = centre is None
        self.member_centre_ids = set() if centre is None else {centre.id}

    def can_read(self, centre_id: int) -> bool:
        return self.reads_all_centres or centre_id in self.member_centre_ids

    can_write = can_read


@dataclass
class Export:
    """A register's export: its headers and its rows (an iterator: read as the download is written)."""

    register: Register
    headers: list[str]
    rows: Iterator[list]


def export(register: Register, args, reader, today: date | None = None) -> Export:
    """The register's records as its list page filters and sorts them (``args``), read by ``reader``, 500 at a
    time: every column, the ref first; a private column blank for a reader who may not see it. What the columns
    look up (the names of related records) is read once, first. With ``args["convert"]`` (a currency), each amount
    also converted, beside its currency, with the rates it was converted by (``crm.interchange.converting``);
    ConvertError when that is no currency."""
    listing = register.listing(args, reader)
    span = list_span(args, reader)
    plan = converting.plan_of(args, span.ends_on or today or date.today())
    amounts = [column for column in register.all_columns if column.currency] if plan else []
    conversion = converting.Conversion(plan, amounts, listing) if amounts else None
    tables: dict = {}
    headers, values, by_key = [], [], {}
    for column in register.all_columns:
        if column.lookup is not None and column.lookup.read not in tables:
            tables[column.lookup.read] = column.lookup.read(reader)
        value = column.exporter(tables.get(column.lookup.read) if column.lookup else None)
        value = by_key[column.key] = _reader_sees(column, value, reader) if column.private else value
        headers.append(column.header)
        values.append(value)
        for amount in (a for a in amounts if a.currency == column.key):
            headers += conversion.headers(amount)
            values.append(_converted(conversion, amount, by_key[amount.key]))
    return Export(register, headers, _rows(listing, values, flat=conversion is None))


def _rows(listing, values, flat: bool) -> Iterator[list]:
    """Each record's cells; a converted amount's value gives two (``_Cells``), spread into the row."""
    records = db.session.scalars(listing.execution_options(yield_per=500))
    if flat:
        for record in records:
            yield [value(record) for value in values]
        return
    for record in records:
        row = []
        for value in values:
            cells = value(record)
            row.extend(cells) if isinstance(cells, _Cells) else row.append(cells)
        yield row


class _Cells(list):
    """Several cells from one column's value (an amount converted, and its citation)."""


def _converted(conversion, column: Column, value):
    currency = attrgetter(column.currency)
    day = attrgetter(column.rate_on) if column.rate_on else lambda record: None
    scope = column.rate_scope or (lambda record: None)
    return lambda record: _Cells(conversion.cells(value(record), currency(record), day(record), scope(record)))


def _reader_sees(column: Column, value, reader):
    return lambda record: value(record) if may_see(column, record, reader) else None


def centre_export(register: Register, centre, args) -> Export:
    """What the command line exports: a centre's records (the network's, for the directory and rates)."""
    return export(register, args, Operator(centre if register.scope == "centre" else None))


def write_export(handle, made: Export, fmt: str) -> int:
    """Write an export to an open binary file; the number of rows written."""
    counted = _Counted(made.rows)
    if fmt == "csv":
        for chunk in writing.csv_chunks(made.headers, counted):
            handle.write(chunk)
    else:
        writing.write_xlsx(handle, [(made.register.title, made.headers, counted)])
    return counted.count


class _Counted:
    def __init__(self, rows):
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


# --- a check a page streams ----------------------------------------------------------------------------------


class Check:
    """A dry run done while a page streams: iterate ``progress()`` for its lines, then read ``outcome``.

    It loads the import and the user itself, by id: a streamed page outlives its request's session. Given an
    ``outcome`` already made (a refused confirmation), it has no progress to show."""

    def __init__(self, pending_id: int, user_id: int, outcome: Outcome | None = None):
        self.pending_id, self.user_id, self.outcome = pending_id, user_id, outcome

    def progress(self) -> Iterator[Progress]:
        if self.outcome is not None:
            return
        from crm.auth.models import User

        pending, user = db.session.get(PendingImport, self.pending_id), db.session.get(User, self.user_id)
        walk = steps(pending.content, pending.centre, user, options_of(pending), apply=False)
        try:
            while True:
                yield next(walk)
        except StopIteration as done:
            self.outcome = done.value
        except Exception:
            # The page is already on its way: say what happened in it rather than cut it short.
            current_app.logger.exception("Import check failed for pending import %s", self.pending_id)
            db.session.rollback()
            self.outcome = Outcome(
                file_error=_("The check failed unexpectedly: the error was logged; nothing was written.")
            )


# --- templates ---------------------------------------------------------------------------------------------


FORMATS_READ = (
    (
        "Dates",
        "A date cell, or text written 2026-03-17, 17.03.2026, 17 March 2026 or March 17, 2026; 03/04/2026 is refused "
        "when it could be day first or month first. Agreement dates may name a month (2026-03, March 2026) or a year.",
    ),
    (
        "Numbers",
        "A number cell as it is (up to 15 significant digits, which is what a spreadsheet keeps exactly); or digits "
        "typed as text, in the number format chosen on the upload page: 1,234.56 in English, 1 234,56 in Russian. "
        "What could be read two ways (1,234 in Russian) is refused with both readings; no exponents (1e3).",
    ),
    (
        "Amounts",
        "The amount in one column and its currency in the next (ISO 4217: CNY or RMB, USD, EUR, KZT...), with at "
        "most the currency's decimals (2 for CNY, 0 for JPY, 3 for IQD).",
    ),
    (
        "Lists",
        "Items separated by semicolons or new lines; commas too where no item can hold one (targets, languages, "
        "themes).",
    ),
    ("Choices", "The code or its label, in any case: in_discussion, In discussion."),
    (
        "References",
        "A record already in the app or in an earlier sheet of the same workbook, by its name (any script, or its "
        "acronym) or its ref (ORG-12, AGR-3...). Sheets are read in the order of this list of registers.",
    ),
    (
        "Text",
        "As typed. A formula is never calculated: its text is read, with a warning. One apostrophe before a text "
        "starting with =, +, - or @ is dropped (exports write one, so that no spreadsheet runs it).",
    ),
    (
        "Rows and keys",
        f"The first row holds the headers; at most {reading.MAX_ROWS:,} rows and {reading.MAX_COLUMNS} columns a "
        "file. A row with a ref updates that record; without one, it updates the record with the same natural key "
        "(a name...) or creates one. A row equal to its record changes nothing. Nothing is written unless every "
        "row is right.",
    ),
)


def template_sheet(register: Register) -> writing.TemplateSheet:
    return writing.TemplateSheet(
        register.title,
        register.about,
        tuple(
            writing.TemplateColumn(
                column.header,
                column.required,
                column.holds,
                column.reader.allowed(),
                "" if column.example is None else column.example,
                column.reader.choices(),
            )
            for column in register.columns
        ),
    )


def write_template(handle, registers: list[Register]) -> None:
    writing.write_template(handle, [template_sheet(r) for r in registers], FORMATS_READ, rows=reading.MAX_ROWS)
