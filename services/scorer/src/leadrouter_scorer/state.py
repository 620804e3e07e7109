"""What the scorer's lifespan builds and its endpoints use (found by type,
:mod:`leadrouter_runtime.parts`)."""

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from leadrouter_runtime.kafka import BatchConsumer
from leadrouter_runtime.parts import part
from leadrouter_scorer.campaigns.handlers import CampaignFollower
from leadrouter_scorer.settings import Settings


@dataclass(slots=True)
class ScorerState:
    settings: Settings
    producer: Any  # aiokafka.AIOKafkaProducer (untyped library)
    consumer: BatchConsumer
    campaigns: CampaignFollower


def scorer_state(request: Request) -> ScorerState:
    return part(request, ScorerState)
