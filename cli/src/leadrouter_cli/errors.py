"""Exit codes and the one way a command fails: ``raise CliError(message, code)``.

0 done; 1 the operation failed (the server refused, records could not be
replayed); 2 bad usage (typer's own, and invalid input files); 3 a dependency is
unreachable (Kafka, an HTTP service); 4 what was named does not exist (a topic).
"""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    UNREACHABLE = 3
    NOT_FOUND = 4


class CliError(Exception):
    """A failure the operator can act on: printed as ``error: <message>``, no traceback."""

    def __init__(self, message: str, code: ExitCode = ExitCode.FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
