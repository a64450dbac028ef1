"""Screenshots of pages as a signed-in user would see them, for looking at what we build.

    .venv/bin/python -m tools.shoot --as staff.nies --out /tmp/shots / /partners
    .venv/bin/python -m tools.shoot --as coordinator --width 390 /        (a phone)

Builds a throwaway demo (a temporary instance folder, SQLite, the seeds), serves it
on a free local port, signs in through the login form in headless Chromium
(Debian's package, driven by Playwright) and saves one full-page PNG per path.
"""

import argparse
import os
import re
import tempfile
from pathlib import Path

from tools.browser import CHROMIUM, CHROMIUM_ARGS, serve_in_thread


def demo_server():
    """Start the seeded demo app in a thread; return (base_url, {login-prefix: (email, password)})."""
    instance = Path(tempfile.mkdtemp(prefix="crm-shoot-"))
    os.environ.update(
        {
            "CRM_INSTANCE_PATH": str(instance),
            "CRM_ENV": "demo",
            "DATABASE_URL": f"sqlite:///{instance / 'demo.sqlite3'}",
        }
    )
    from crm import create_app

    app = create_app()
    logins = seed_demo(app)
    server = serve_in_thread(app)
    return f"http://127.0.0.1:{server.server_port}", logins


def seed_demo(app) -> dict[str, tuple[str, str]]:
    """Make ``app``'s schema, seed the demo, and return its logins: {"staff.nies": (email, password)...}."""
    from crm.extensions import db
    from crm.seeding import run_seeds

    with app.app_context():
        db.create_all()
        lines = run_seeds()
        db.session.commit()
    logins = {}
    for line in lines:
        match = re.match(r"\s*(\w+)\s+(\S+@\S+)\s+(\S+)$", line)
        if match:
            logins[match.group(2).split("@")[0]] = (match.group(2), match.group(3))
    return logins


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+")
    parser.add_argument(
        "--as", dest="who", default="staff.nies", help="demo login: admin, coordinator, staff.nies, staff.ca"
    )
    parser.add_argument("--out", default="/tmp/shots")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--open", action="store_true", help="open every <details> (the rates used) before shooting")
    parser.add_argument("--language", default="en", help="the browser's language (Accept-Language): en, zh-CN, ru")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    base, logins = demo_server()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": 900}, locale=args.language)
        email, password = logins[args.who]
        page.goto(base + "/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        for path in args.paths:
            page.goto(base + path)
            if args.open:
                page.eval_on_selector_all("details", "all => all.forEach(d => d.open = true)")
            name = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_") or "home"
            target = out / f"{args.who}-{name}-{args.language}-{args.width}.png"
            page.screenshot(path=str(target), full_page=True)
            print(target)
        browser.close()


if __name__ == "__main__":
    main()
