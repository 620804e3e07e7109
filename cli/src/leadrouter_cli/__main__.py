"""``python -m leadrouter_cli``: the ``leadrouter`` command."""

from leadrouter_cli.main import app

app(prog_name="leadrouter")
