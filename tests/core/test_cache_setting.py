"""MOORAGE_CACHE_URL: throttling counters shared by separate processes through Redis."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid

import pytest


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "moorage.settings", **env}
    environ.pop("DATABASE_URL", None)
    script = "import django; django.setup()\n" + code
    return subprocess.run([sys.executable, "-c", script], env=environ, capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_two_processes_share_one_count_through_redis():
    prefix = f"moorage-test-{uuid.uuid4().hex}"
    env = {"MOORAGE_CACHE_URL": "redis://127.0.0.1:6379/15", "MOORAGE_CACHE_PREFIX": prefix}
    bump = "from django.core.cache import cache\ncache.add('count', 0, 60)\nprint(cache.incr('count'))\n"
    first = _run(bump, **env)
    second = _run(bump, **env)
    assert first.returncode == 0, first.stderr
    assert (first.stdout.strip(), second.stdout.strip()) == ("1", "2")
    _run("from django.core.cache import cache\ncache.clear()\n", **env)


def test_a_cache_url_that_is_not_redis_is_refused_at_start():
    result = _run("", MOORAGE_CACHE_URL="memcached://127.0.0.1:11211")
    assert result.returncode != 0
    assert "MOORAGE_CACHE_URL must be a redis://" in result.stderr
