"""The in-memory catalogue, applied record by record as the topic delivers them."""

import pytest

from leadrouter_schemas import encode
from leadrouter_scorer.campaigns.catalogue import CampaignCatalogue, InvalidCampaignRecordError
from tests.support.samples import campaign, campaign_configured, received


def test_the_latest_record_of_a_campaign_wins_and_a_tombstone_deletes_it() -> None:
    catalogue = CampaignCatalogue()
    catalogue.apply(b"spring-demo", encode(campaign_configured(campaign(version=1))))
    catalogue.apply(b"spring-demo", encode(campaign_configured(campaign(version=2, active=False))))
    current = catalogue.get("spring-demo")
    assert current is not None
    assert (current.version, current.active) == (2, False)
    assert catalogue.apply(b"spring-demo", None) is None
    assert catalogue.get("spring-demo") is None
    assert len(catalogue) == 0


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (None, encode(campaign_configured(campaign())), "needs its campaign id"),
        (b"other", encode(campaign_configured(campaign())), "names another campaign"),
        (b"spring-demo", encode(received()), "not a CampaignConfigured"),
        (b"spring-demo", b"{not json", "not a CampaignConfigured"),
    ],
)
def test_a_bad_record_is_refused_and_keeps_the_previous_version(
    key: bytes | None, value: bytes, message: str
) -> None:
    catalogue = CampaignCatalogue()
    catalogue.apply(b"spring-demo", encode(campaign_configured(campaign(version=4))))
    with pytest.raises(InvalidCampaignRecordError, match=message):
        catalogue.apply(key, value)
    kept = catalogue.get("spring-demo")
    assert kept is not None
    assert kept.version == 4
