"""How the foot-landmarks command line reports an error: one line on stderr, never a traceback."""

from __future__ import annotations

ERROR_PREFIX = "foot-landmarks: error:"


def cli_error_line(capsys) -> str:
    """The one error line the command wrote to stderr (the test fails on anything else)."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(ERROR_PREFIX) and "Traceback" not in err
    return lines[0]
