"""``python -m leadrouter_crm_simulator [--mode hubspot-limits|salesforce-limits]``: serve on
CRM_SIMULATOR_HOST and _PORT; with CRM_SIMULATOR_SIGNING_SECRET, verify the router's
webhook signatures. ``--mode`` (or CRM_SIMULATOR_MODE) enforces a CRM's documented limits
(limits.py) from the start; ``PUT /control/limits`` changes them at run time."""

import argparse
import logging
import os
import sys

import uvicorn

from leadrouter_crm_simulator.app import create_app
from leadrouter_crm_simulator.limits import Limits


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="leadrouter_crm_simulator")
    parser.add_argument(
        "--mode",
        choices=["off", "hubspot-limits", "salesforce-limits"],
        default=os.environ.get("CRM_SIMULATOR_MODE", "off"),
    )
    args = parser.parse_args(argv or [])  # the CLI calls main() with its own argv
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    uvicorn.run(
        create_app(
            signing_secret=os.environ.get("CRM_SIMULATOR_SIGNING_SECRET") or None,
            limits=Limits(mode=args.mode),
        ),
        host=os.environ.get("CRM_SIMULATOR_HOST", "127.0.0.1"),
        port=int(os.environ.get("CRM_SIMULATOR_PORT", "8003")),
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
