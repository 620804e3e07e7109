"""``python -m leadrouter_crm_simulator``: serve on CRM_SIMULATOR_HOST and _PORT;
with CRM_SIMULATOR_SIGNING_SECRET, verify the router's webhook signatures."""

import logging
import os

import uvicorn

from leadrouter_crm_simulator.app import create_app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    uvicorn.run(
        create_app(signing_secret=os.environ.get("CRM_SIMULATOR_SIGNING_SECRET") or None),
        host=os.environ.get("CRM_SIMULATOR_HOST", "127.0.0.1"),
        port=int(os.environ.get("CRM_SIMULATOR_PORT", "8003")),
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
