"""Order-form fixtures: the client area's (a signed-in client, a second client, the fixed clock) and
the ispmanager emulator's."""

from __future__ import annotations

from tests.clientarea.conftest import other_client, signed_in, test_clock  # noqa: F401
from tests.provisioning.conftest import connection, hosting, panel  # noqa: F401
