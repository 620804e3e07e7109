"""The registry of platform adapters: one module each, one fixture folder each."""

from leadrouter_scorer.webhooks import registry
from tests.support.corpus import CORPUS


def test_every_platform_module_is_registered_by_its_source() -> None:
    assert set(registry.adapters()) == {
        "generic",
        "hubspot",
        "typeform",
        "google-ads",
        "facebook",
        "unbounce",
        "mailchimp",
        "linkedin",
    }


def test_every_fixture_folder_is_a_registered_platform_with_its_sources() -> None:
    folders = [path for path in CORPUS.iterdir() if path.is_dir()]
    assert folders
    for folder in folders:
        assert folder.name in registry.adapters(), folder
        assert (folder / "SOURCES.md").is_file(), folder


def test_handshakes_are_declared_where_the_platform_has_one() -> None:
    with_handshake = {s for s, adapter in registry.adapters().items() if adapter.handshake}
    assert with_handshake == {"facebook", "linkedin", "mailchimp"}
