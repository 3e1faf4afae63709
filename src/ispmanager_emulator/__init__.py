"""A standalone emulator of the ispmanager 5 and 6 HTTP API (``/ispmgr``) for tests and demos.

It imports nothing from Moorage. See ``docs/ispmanager-emulator.md``.

    from ispmanager_emulator import EmulatorServer

    with EmulatorServer(port=0, admin=("root", "secret")) as srv:
        print(srv.url)
"""

from .app import ApiError, Emulator, supported_functions
from .faults import FaultRule, Faults
from .server import EmulatorServer
from .state import State

__all__ = [
    "ApiError",
    "Emulator",
    "EmulatorServer",
    "FaultRule",
    "Faults",
    "State",
    "supported_functions",
]
__version__ = "0.1.0"
