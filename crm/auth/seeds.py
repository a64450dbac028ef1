"""Demo accounts with random passwords, printed once and kept owner-only in the instance folder."""

import os
import secrets
from pathlib import Path

from flask import current_app

from crm.auth import services
from crm.auth.models import User
from crm.seeding import read_seed, seed_once


def logins_file() -> Path:
    return Path(current_app.instance_path) / "demo-logins.txt"


def _append_login(line: str) -> None:
    path = logins_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as handle:
        handle.write(line + "\n")
    os.chmod(path, 0o600)


def seed(seeds_dir) -> list[str]:
    created = []
    for item in read_seed("users.toml", seeds_dir)["user"]:

        def create(item=item):
            password = secrets.token_urlsafe(12)
            user = services.create_user(item["email"], item["name"], item["role"], password, item.get("centres", []))
            line = f"{item['role']:<12} {item['email']:<34} {password}"
            _append_login(line)
            created.append(line)
            return user

        seed_once(f"user:{item['email']}", User, lambda item=item: services.find_user(item["email"]), create)
    if created:
        return ["New demo logins (shown once; also kept in the instance folder):", *created]
    return []
