"""Spreadsheets at scale: importing 10,000 experts from XLSX, exporting 100,000 ledger entries to XLSX.

    .venv/bin/python -m bench interchange                       # both engines
    .venv/bin/python -m bench interchange --engines sqlite

Targets (issue 15): the import ≤ 10 s with peak memory under 200 MB (also at the cap, 20,000 rows, where only
the memory is held to it), the export ≤ 15 s. Each is run in a child process of its own (``python -m
bench.interchange import|export URL FILE``), so that its peak memory (VmHWM: the whole process, Python, the app
and the data) is its own, and timed there from the file's bytes to the committed import or the written
workbook. The import is the command line's (``services.steps``, one pass that checks every cell and writes
through the experts service); the web's preview and confirmation each take about as long.
"""

import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXPERTS = 10_000
ENTRIES = 100_000
TARGETS = {"import": 10.0, "export": 15.0}
MEMORY_MB = 200
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/crm_bench_interchange"
DEFAULT_SQLITE = str(Path(tempfile.gettempdir()) / "crm-bench-interchange.sqlite3")
LATIN = ("Wang Fang", "Li Wei", "Zhang Min", "Liu Yang", "Chen Jie", "Ivan Petrov", "Aigerim Sadykova", "Bakhrom Aliev")
CHINESE = ("王芳", "李伟", "张敏", "刘洋", "陈杰", "伊万", "艾格林", "巴赫罗姆")


def fresh_app(url: str):
    from crm import create_app
    from crm.extensions import db
    from tests.conftest import ensure_database

    ensure_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


def experts_workbook(path: Path, organisations: list[str], count: int = EXPERTS) -> None:
    """``count`` experts as a centre would fill the template: names in two scripts, pools, targets, some paid."""
    from openpyxl import Workbook

    rng = random.Random(15)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Experts")
    sheet.append(
        ["Name", "Names in other scripts", "Nationality", "Affiliation", "Position", "E-mail", "Languages"]
        + ["KMGBF targets", "Themes", "Engagement basis", "Day rate", "Day rate currency", "Availability", "Vetting"]
        + ["Pools"]
    )
    for n in range(count):
        person = n % len(LATIN)
        paid = n % 10 == 0
        sheet.append(
            [f"{LATIN[person]} {n}", CHINESE[person], "CN" if person < 5 else "KZ", rng.choice(organisations)]
            + ["Researcher", f"expert{n}@example.org", "zh; en" if person < 5 else "ru", f"{1 + n % 23}; 20"]
            + ["wetlands", "paid" if paid else "volunteer", 1500 if paid else None, "CNY" if paid else None]
            + ["available", "vetted", "Expert database"]
        )
    book.save(path)


def prepare_import(url: str, path: Path, count: int = EXPERTS) -> None:
    from crm.centres.models import Centre
    from crm.experts.services import save_pool
    from crm.extensions import db
    from crm.partners.services import add_type, save_organisation

    app = fresh_app(url)
    with app.app_context():
        centre = Centre(code="B-NIES", name="Bench centre", host_institution="Bench", host_country="CN")
        db.session.add(centre)
        db.session.flush()
        save_pool(None, centre.id, "Expert database", "")
        kind = add_type("Research institute", "research")
        names = [f"Institute {n}" for n in range(50)]
        for name in names:
            save_organisation(None, {"name": name, "type_id": kind.id})
        db.session.commit()
    experts_workbook(path, names, count)


def prepare_export(url: str) -> None:
    from bench.generate import Scale, generate
    from crm.extensions import db

    app = fresh_app(url)
    with app.app_context():
        scale = Scale(organisations=2_000, proposals=1_000, entries=ENTRIES, experts=10, partnerships_per_centre=5)
        generate(scale)
        db.session.commit()


def child(task: str, url: str, path: str) -> dict:
    """The measured part, in this process: its time and the process's peak memory."""
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 40)
    os.environ.setdefault("CRM_ENV", "test")
    from crm import create_app
    from crm.extensions import db
    from crm.interchange import services
    from crm.interchange.registers import LEDGER

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        started = time.perf_counter()
        if task == "import":
            from crm.centres.services import centre_by_code

            outcome = services.run(Path(path).read_bytes(), centre_by_code("B-NIES"), None, apply=True)
            db.session.commit()
            figures = {"rows": outcome.total_rows, "created": outcome.sheets[0].created, "errors": len(outcome.errors)}
        else:
            with open(path, "wb") as handle:
                figures = {"rows": services.write_export(handle, services.centre_export(LEDGER, None, {}), "xlsx")}
        figures["seconds"] = time.perf_counter() - started
    figures["peak_mb"] = peak_memory_mb()
    return figures


def peak_memory_mb() -> float:
    """This process's peak resident memory. Not ``ru_maxrss``: Linux carries that across exec from the parent
    (here the one that generated the data), while VmHWM is this program's own."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(task: str, url: str, path: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "bench.interchange", task, url, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def verdict(figures: dict, task: str) -> str:
    met = figures["seconds"] <= TARGETS[task] and (task != "import" or figures["peak_mb"] < MEMORY_MB)
    return "met" if met else "MISSED"


def run(label: str, url: str) -> list[str]:
    folder = Path(tempfile.mkdtemp(prefix="crm-bench-interchange-"))
    workbook, capped = folder / "experts.xlsx", folder / "experts-at-the-cap.xlsx"
    print(f"{label}: interchange, preparing {url.split('@')[-1]}")
    from crm.interchange.reading import MAX_ROWS

    prepare_import(url, capped, MAX_ROWS)
    at_cap = measure("import", url, capped)
    prepare_import(url, workbook)
    imported = measure("import", url, workbook)
    prepare_export(url)
    exported = measure("export", url, folder / "ledger.xlsx")
    size = (folder / "ledger.xlsx").stat().st_size / 1024 / 1024
    read = workbook.stat().st_size / 1024
    return [
        f"  interchange ({label}): import {imported['created']:,} experts from XLSX ({read:,.0f} KB)"
        f" {imported['seconds']:.1f} s, peak {imported['peak_mb']:.0f} MB  ≤{TARGETS['import']:.0f} s, <{MEMORY_MB} MB"
        f" {verdict(imported, 'import')}",
        f"  interchange ({label}): import {at_cap['created']:,} experts (the cap) {at_cap['seconds']:.1f} s, peak"
        f" {at_cap['peak_mb']:.0f} MB  <{MEMORY_MB} MB {'met' if at_cap['peak_mb'] < MEMORY_MB else 'MISSED'}",
        f"  interchange ({label}): export {exported['rows']:,} ledger entries to XLSX ({size:.1f} MB)"
        f" {exported['seconds']:.1f} s, peak {exported['peak_mb']:.0f} MB  ≤{TARGETS['export']:.0f} s"
        f" {verdict(exported, 'export')}",
    ]


def engines(names: str, postgres: str, sqlite: str) -> list[str]:
    from crm.config import database_url

    lines = []
    for engine in names.split(","):
        url = database_url(postgres if engine == "postgresql" else f"sqlite:///{sqlite}", "/tmp")
        lines += run(engine, url)
        print("\n".join(lines[-3:]))
    return lines


if __name__ == "__main__":
    sys.stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8")
    print(json.dumps(child(*sys.argv[1:4])))
