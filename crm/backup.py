"""``flask --app wsgi backup FILE`` and ``restore FILE``: the database and the uploaded files, in one archive.

The archive (a gzipped tar) holds ``manifest.json`` (engine, schema revision, every table's row
count, the uploaded files), the database, and ``uploads/``. The database is copied while the app
keeps serving, never as a file copy of a database in use:

- SQLite through its online backup API, into a consistent snapshot whatever is being written;
- PostgreSQL through ``pg_dump`` in the snapshot of a transaction that also counts the rows, so the
  manifest's counts are exactly what the dump holds.

The files are copied after the database, so every file a backed-up record names is in the archive.
``restore`` goes into an empty database of the same engine (one that ``db upgrade`` just created
counts as empty) and refuses one holding records unless ``--force``; it then checks the counts
against the manifest. The archive is written to a temporary name and renamed when complete, so a
backup stopped half-way never looks like a good one.
"""

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from contextlib import contextmanager
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from crm.core.models import utcnow
from crm.extensions import db

FORMAT = 1
DUMP_NAME = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


class BackupError(click.ClickException):
    pass


def table_names(connection) -> list[str]:
    """Every table of the schema that holds rows (the app's and Alembic's), as the database has them."""
    present = set(sa.inspect(connection).get_table_names())
    return sorted(present & ({t.name for t in db.metadata.sorted_tables} | {"alembic_version"}))


def row_counts(connection) -> dict[str, int]:
    return {
        name: connection.scalar(sa.select(sa.func.count()).select_from(sa.table(name)))
        for name in table_names(connection)
    }


def libpq_arguments(url: sa.URL) -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump / pg_restore, the password in the environment (never on the command line)."""
    args = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432), "--dbname", url.database]
    if url.username:
        args += ["--username", url.username]
    env = os.environ | ({"PGPASSWORD": url.password} if url.password else {})
    return args, env


def run_tool(command: list[str], env: dict) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


# -- backup ---------------------------------------------------------------------------------------


def dump_sqlite(target: Path) -> dict[str, int]:
    source = sqlite3.connect(db.engine.url.database)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    engine = sa.create_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as connection:
            return row_counts(connection)
    finally:
        engine.dispose()


def dump_postgresql(target: Path) -> dict[str, int]:
    args, env = libpq_arguments(db.engine.url)
    with db.engine.connect() as plain:
        connection = plain.execution_options(isolation_level="REPEATABLE READ")
        connection.begin()
        snapshot = connection.scalar(sa.text("SELECT pg_export_snapshot()"))
        counts = row_counts(connection)
        # pg_dump reads the very snapshot the counts were taken in; the transaction holds it until it is done.
        dump = ["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}", "--file", str(target)]
        run_tool([*dump, *args], env)
        connection.rollback()
    return counts


def schema_revision(counts: dict[str, int]) -> str | None:
    if "alembic_version" not in counts:
        return None
    return db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))


def add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(utcnow().timestamp())
    archive.addfile(info, io.BytesIO(data))


def write_backup(path: Path) -> dict:
    engine = db.engine.dialect.name
    if engine not in DUMP_NAME:
        raise BackupError(f"Backups cover SQLite and PostgreSQL, not {engine}.")
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    with tempfile.TemporaryDirectory() as work:
        dump = Path(work) / DUMP_NAME[engine]
        counts = dump_sqlite(dump) if engine == "sqlite" else dump_postgresql(dump)
        files = sorted(p for p in uploads.iterdir() if p.is_file()) if uploads.is_dir() else []
        manifest = {
            "format": FORMAT,
            "engine": engine,
            "created_at": utcnow().isoformat(),
            "schema_revision": schema_revision(counts),
            "tables": counts,
            "uploads": [p.name for p in files],
        }
        partial = path.with_name(path.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            add_bytes(archive, "manifest.json", json.dumps(manifest, indent=2).encode())
            archive.add(dump, DUMP_NAME[engine])
            for file in files:
                archive.add(file, f"uploads/{file.name}")
        partial.replace(path)
    return manifest


@click.command("backup", help="Back up the database and the uploaded files into FILE (a .tar.gz), while serving.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path):
    manifest = write_backup(file)
    rows = sum(manifest["tables"].values())
    click.echo(
        f"Backed up {len(manifest['tables'])} tables ({rows} rows) and {len(manifest['uploads'])} uploaded files "
        f"of the {manifest['engine']} database into {file}."
    )


# -- restore --------------------------------------------------------------------------------------


def read_manifest(archive: tarfile.TarFile) -> dict:
    try:
        manifest = json.load(archive.extractfile("manifest.json"))
    except (KeyError, json.JSONDecodeError) as error:
        raise BackupError("This is not a backup made by `flask backup` (it has no manifest).") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"This backup's format ({manifest.get('format')}) is not one this version reads.")
    return manifest


def holdings(uploads: Path) -> list[str]:
    """What the target already holds: tables with rows, uploaded files."""
    with db.engine.connect() as connection:
        full = [f"{name} ({count} rows)" for name, count in row_counts(connection).items() if count]
    full = [entry for entry in full if not entry.startswith("alembic_version")]
    if uploads.is_dir() and any(uploads.iterdir()):
        full.append(f"{sum(1 for _ in uploads.iterdir())} files in {uploads}")
    return full


def restore_sqlite(dump: Path) -> None:
    db.session.remove()
    db.engine.dispose()
    source = sqlite3.connect(dump)
    target = sqlite3.connect(db.engine.url.database)
    try:
        source.backup(target)  # replaces the whole target, schema and rows, in one step
    finally:
        source.close()
        target.close()


def restore_postgresql(dump: Path) -> None:
    db.session.remove()
    db.engine.dispose()
    args, env = libpq_arguments(db.engine.url)
    command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"]
    run_tool([*command, *args, str(dump)], env)


@contextmanager
def unpacked(path: Path):
    with tempfile.TemporaryDirectory() as work, tarfile.open(path, "r:gz") as archive:
        manifest = read_manifest(archive)
        # The "data" filter refuses absolute paths, links out of the folder and device files.
        archive.extractall(work, filter="data")
        yield manifest, Path(work)


def restore_backup(path: Path, force: bool) -> dict:
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    engine = db.engine.dialect.name
    with unpacked(path) as (manifest, work):
        if manifest["engine"] != engine:
            raise BackupError(f"This is a backup of a {manifest['engine']} database; this app runs on {engine}.")
        held = holdings(uploads)
        if held and not force:
            raise BackupError(
                "The database or the upload folder is not empty (" + "; ".join(held[:5]) + "): restore into an "
                "empty one, or add --force to replace what it holds."
            )
        dump = work / DUMP_NAME[engine]
        if engine == "sqlite":
            restore_sqlite(dump)
        else:
            restore_postgresql(dump)
        uploads.mkdir(parents=True, exist_ok=True)
        for name in manifest["uploads"]:
            shutil.copyfile(work / "uploads" / name, uploads / name)
    check_restored(manifest)
    return manifest


def check_restored(manifest: dict) -> None:
    with db.engine.connect() as connection:
        if db.engine.dialect.name == "sqlite" and connection.scalar(sa.text("PRAGMA integrity_check")) != "ok":
            raise BackupError("The restored database fails SQLite's integrity check.")
        counts = row_counts(connection)
    differing = {t: (n, counts.get(t)) for t, n in manifest["tables"].items() if counts.get(t) != n}
    if differing:
        listed = ", ".join(f"{t}: {want} in the backup, {got} restored" for t, (want, got) in differing.items())
        raise BackupError(f"The restored row counts differ from the backup's: {listed}.")


@click.command("restore", help="Restore a backup made by `backup` into this app's (empty) database and upload folder.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database or upload folder that already holds records.")
@with_appcontext
def restore_command(file: Path, force: bool):
    try:
        manifest = restore_backup(file, force)
    except tarfile.TarError as error:
        raise BackupError(f"{file} is not a readable backup archive ({error}).") from error
    rows = sum(manifest["tables"].values())
    click.echo(
        f"Restored {len(manifest['tables'])} tables ({rows} rows, counts checked) and "
        f"{len(manifest['uploads'])} uploaded files from the backup of {manifest['created_at']}."
    )
