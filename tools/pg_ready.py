"""Exit 0 when the PostgreSQL server of the URL given answers (its database need not exist yet)."""

import sys

import psycopg
from sqlalchemy import make_url


def main(url: str) -> int:
    target = make_url(url)
    try:
        psycopg.connect(
            host=target.host or "127.0.0.1",
            port=target.port or 5432,
            user=target.username,
            password=target.password,
            dbname="postgres",
            connect_timeout=5,
        ).close()
    except psycopg.OperationalError as error:
        print(f"PostgreSQL unreachable at {target.render_as_string()}: {error}".strip(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
