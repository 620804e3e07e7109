"""The scorer's default model (the shared data in ``leadrouter_schemas.default_scoring``)
with the deployment's MQL threshold."""

from leadrouter_schemas import ScoringModel
from leadrouter_schemas.default_scoring import (
    DEFAULT_MODEL,
    DEFAULT_MODEL_VERSION,
    FIT_RULES,
    INTENT_RULES,
)

__all__ = ["DEFAULT_MODEL", "DEFAULT_MODEL_VERSION", "FIT_RULES", "INTENT_RULES", "default_model"]


def default_model(mql_threshold: int) -> ScoringModel:
    """The default model with the deployment's MQL threshold."""
    if mql_threshold == DEFAULT_MODEL.mql_threshold:
        return DEFAULT_MODEL
    return DEFAULT_MODEL.model_copy(
        update={
            "mql_threshold": mql_threshold,
            "version": f"{DEFAULT_MODEL_VERSION}+mql{mql_threshold}",
        }
    )
