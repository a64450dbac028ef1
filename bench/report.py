"""Benchmark: a resource-mobilisation section drawn from 500 records, rendered to PDF and to Word (targets: ≤ 1 s each).

    .venv/bin/python -m bench.report

One centre gets 130 partnerships, 20 agreements, 100 proposals, 150 ledger entries and 100 experts
(bench.generate, deterministic); the section is drafted from them, then rendered. The font is
registered before timing: that happens once per worker process (about 0.1 s, printed too).
"""

import os
import tempfile
import time
from contextlib import contextmanager

from flask import has_app_context

from bench.generate import Scale, generate
from crm.extensions import db

TARGET_SECONDS = 1.0
RECORDS = Scale(
    centres=1,
    organisations=200,
    proposals=100,
    entries=150,
    experts=100,
    partnerships_per_centre=130,
    agreements_per_centre=20,
    seed=11,
)


@contextmanager
def app_context():
    """The caller's app context, or a throwaway SQLite database of our own."""
    if has_app_context():
        yield
        return
    from crm import create_app

    folder = tempfile.mkdtemp(prefix="crm-bench-report-")
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 40)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3"})
    with app.app_context():
        db.create_all()
        yield


def timed(action):
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def run() -> dict[str, float]:
    """Seconds taken to draft, render the PDF and render the Word file; printed with the targets."""
    from crm.centres.services import centre_by_code
    from crm.reports import services
    from crm.reports.docx import render_docx
    from crm.reports.fonts import register_pdf_font
    from crm.reports.pdf import render_pdf

    with app_context():
        generated = generate(RECORDS, tag=f"R{time.time_ns() % 100000}")
        centre = centre_by_code(generated.centre_codes[0])
        period = centre.periods[0]
        _, font_seconds = timed(register_pdf_font)
        record, draft_seconds = timed(lambda: services.start_section(centre, period))
        section = services.section_data(record)
        pdf, pdf_seconds = timed(lambda: render_pdf(section))
        word, docx_seconds = timed(lambda: render_docx(section))
        db.session.rollback()
    records = sum(v for k, v in generated.counts.items() if k not in ("centres", "organisations", "exchange rates"))
    print(f"Report section from {records} records ({', '.join(f'{v} {k}' for k, v in generated.counts.items())}):")
    print(f"  font registration (once per process) {font_seconds:.3f} s")
    print(f"  drafting from the records            {draft_seconds:.3f} s")
    for label, seconds, size in (("PDF ", pdf_seconds, len(pdf)), ("Word", docx_seconds, len(word))):
        verdict = "ok" if seconds <= TARGET_SECONDS else "OVER TARGET"
        print(f"  {label} rendering {seconds:.3f} s ({size:,} bytes; target ≤ {TARGET_SECONDS:.0f} s: {verdict})")
    return {"draft": draft_seconds, "pdf": pdf_seconds, "docx": docx_seconds}


if __name__ == "__main__":
    run()
