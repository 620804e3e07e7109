"""``python -m leadrouter_scorer``: serve the webhooks and run the scoring consumer."""

from leadrouter_runtime.startup import collector_paused


def main() -> None:
    with collector_paused():
        # Imported here, the collector paused: they make most of a start's objects.
        from leadrouter_runtime.http import serve
        from leadrouter_runtime.logging import configure_logging
        from leadrouter_scorer.app import create_app
        from leadrouter_scorer.settings import Settings

        settings = Settings()
        configure_logging(settings.log)
        app = create_app(settings)
    serve(app, settings.http)


if __name__ == "__main__":
    main()
