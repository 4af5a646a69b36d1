"""The one error type meant for people: every room raises it for a problem the user can fix (a file,
a row, a column, an option), and the CLI and the server show its message, never a traceback."""


class WavehouseError(Exception):
    """An error meant for the user: printed as one line, never as a traceback."""
