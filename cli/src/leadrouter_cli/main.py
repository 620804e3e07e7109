"""``leadrouter``: one command for the people who run the lead router.

Every sub-command has ``--help``; exit codes are in ``leadrouter_cli.errors``.
"""

import typer

from leadrouter_cli import api, demo, model_commands, replay, reports, services, topics_commands

app = typer.Typer(
    name="leadrouter",
    help="Run and operate the lead router: services, database, topics, dead letters, "
    "demo traffic and the routing set-up.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

app.command("scorer", rich_help_panel="Services")(services.scorer)
app.command("router", rich_help_panel="Services")(services.router)
app.command("crm-simulator", rich_help_panel="Services")(services.crm_simulator)
app.command("migrate", rich_help_panel="Services")(services.migrate)

app.add_typer(topics_commands.topics_app, name="topics", rich_help_panel="Kafka")
app.command("tail", rich_help_panel="Kafka")(topics_commands.tail)
app.add_typer(topics_commands.dlq_app, name="dlq", rich_help_panel="Kafka")

app.add_typer(demo.demo_app, name="demo", rich_help_panel="Traffic")

app.add_typer(api.config_app, name="config", rich_help_panel="Routing set-up")
app.command("simulate", rich_help_panel="Routing set-up")(api.simulate)

app.add_typer(reports.report_app, name="report", rich_help_panel="Outcomes")
app.add_typer(model_commands.model_app, name="model", rich_help_panel="Outcomes")
app.command("replay", rich_help_panel="Outcomes")(replay.replay)
