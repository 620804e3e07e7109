"""``python -m leadrouter_scorer``: serve the webhooks and run the scoring consumer."""

from leadrouter_runtime.http import serve
from leadrouter_runtime.logging import configure_logging
from leadrouter_scorer.app import create_app
from leadrouter_scorer.settings import Settings


def main() -> None:
    settings = Settings()
    configure_logging(settings.log)
    serve(create_app(settings), settings.http)


if __name__ == "__main__":
    main()
