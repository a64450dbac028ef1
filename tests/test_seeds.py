import stat
from pathlib import Path

import sqlalchemy as sa

from crm.auth.models import User
from crm.centres.models import Centre
from crm.extensions import db
from crm.seeding import run_seeds


def test_seeds_load_the_two_centres_of_the_reports_idempotently(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    first = run_seeds()
    second = run_seeds()
    assert any("staff.nies@demo.tscc.example" in line for line in first)
    assert second == []
    ca = db.session.scalar(sa.select(Centre).where(Centre.code == "TSCC-CA"))
    nies = db.session.scalar(sa.select(Centre).where(Centre.code == "TSCC-NIES"))
    assert ca.parties == ["AM", "AZ", "BY", "KZ", "KG", "TJ", "TM", "UZ"]
    assert str(ca.launched_on) == "2026-02-17"
    assert nies.parties == ["KH", "CN", "NP", "PK"]
    assert [p.label for p in nies.periods] == ["2025-2026"]
    logins = Path(tmp_path) / "demo-logins.txt"
    assert stat.S_IMODE(logins.stat().st_mode) == 0o600
    assert len(logins.read_text().splitlines()) == 4
    staff = db.session.scalar(sa.select(User).where(User.email == "staff.ca@demo.tscc.example"))
    password = next(line.split()[-1] for line in logins.read_text().splitlines() if staff.email in line)
    assert staff.check_password(password) and staff.centres == [ca]
