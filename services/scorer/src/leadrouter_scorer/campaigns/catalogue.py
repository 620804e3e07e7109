"""The scorer's view of the campaigns: the latest configuration of each, in memory.

Filled from the compacted ``config.campaigns`` topic (key campaign id, value a
``CampaignConfigured``, a null value deletes). Pure: no Kafka here.
"""

from dataclasses import dataclass, field

from leadrouter_schemas import Campaign, CampaignConfigured, decode_as


class InvalidCampaignRecordError(ValueError):
    """A record of the configuration topic that is no campaign configuration."""


@dataclass(slots=True)
class CampaignCatalogue:
    _campaigns: dict[str, Campaign] = field(default_factory=dict)

    def get(self, campaign_id: str) -> Campaign | None:
        return self._campaigns.get(campaign_id)

    def __len__(self) -> int:
        return len(self._campaigns)

    def ids(self) -> list[str]:
        return sorted(self._campaigns)

    def put(self, campaign: Campaign) -> None:
        self._campaigns[campaign.campaign_id] = campaign

    def apply(self, key: bytes | None, value: bytes | None) -> Campaign | None:
        """Apply one record of the topic; return the campaign it configured (None
        for a deletion). Raises :class:`InvalidCampaignRecordError` for a bad record."""
        if key is None:
            raise InvalidCampaignRecordError("a campaign record needs its campaign id as key")
        campaign_id = key.decode(errors="replace")
        if value is None:
            # A tombstone: the router deleted the campaign (compaction keeps it a while).
            self._campaigns.pop(campaign_id, None)
            return None
        try:
            campaign = decode_as(value, CampaignConfigured).data.campaign
        except ValueError as error:  # pydantic.ValidationError is a ValueError
            raise InvalidCampaignRecordError(f"not a CampaignConfigured v1: {error}") from error
        if campaign.campaign_id != campaign_id:
            raise InvalidCampaignRecordError(
                f"key {campaign_id!r} names another campaign than {campaign.campaign_id!r}"
            )
        self.put(campaign)
        return campaign
