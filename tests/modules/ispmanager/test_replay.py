"""The module against recorded panel conversations: every file under conversations/ is one test.

A provider who records their own panel (docs/recorded-conversations.md) drops the files there."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.modules.ispmanager.replay import load, replay

FOLDER = Path(__file__).parent / "conversations"
FILES = sorted(FOLDER.glob("*.json"))


def test_there_are_conversations():
    assert len(FILES) >= 8


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_conversation(path: Path):
    replay(load(path))
