"""Start Django for a benchmark on a fresh database: a temporary SQLite file, or PostgreSQL when
BENCH_DATABASE_URL is set (a database of that name is dropped and created)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def setup(name: str) -> str:
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if url:
        import psycopg

        base, _, dbname = url.rpartition("/")
        dbname = f"{dbname or 'moorage'}_bench_{name}"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
            conn.execute(f'CREATE DATABASE "{dbname}"')
        os.environ["DATABASE_URL"] = f"{base}/{dbname}"
    else:
        tmp = tempfile.mkdtemp(prefix=f"moorage-bench-{name}-")
        os.environ["MOORAGE_DATA_DIR"] = tmp
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moorage.settings")
    os.environ.setdefault("MOORAGE_LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # seeding speed only
    return os.environ["DATABASE_URL"]


def analyze() -> None:
    """PostgreSQL here runs without autovacuum: refresh planner statistics after seeding."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
