"""API bodies of the model fit: versions, their evaluation, the audit, calibration."""

from datetime import datetime

from pydantic import BaseModel, Field

from leadrouter_schemas import ScoringModel


class DecileOut(BaseModel):
    predicted: float = Field(description="Mean predicted probability of winning.")
    observed: float = Field(description="Share of the decile's leads that were won.")
    leads: int


class MetricsOut(BaseModel):
    auc: float | None = Field(description="Area under the ROC curve of the score (0.5: chance).")
    brier: float = Field(description="Mean squared error of the probability of winning.")
    calibration_error: float = Field(
        description="Mean |predicted - observed| over the deciles, weighted by leads."
    )
    lift_top_20: float | None = Field(
        description="Win rate of the top 20% by score over the win rate of all."
    )
    deciles: list[DecileOut] = Field(description="Calibration by score decile, lowest first.")


class EvaluationOut(BaseModel):
    trained_on: int = Field(description="Older closed leads the fit learned from.")
    tested_on: int = Field(description="Newer closed leads kept for the evaluation.")
    holdout_from: datetime = Field(description="Leads received from here on were the test.")
    win_rate: float = Field(description="Of the test leads.")
    current: MetricsOut = Field(description="The campaign's model when it was fitted.")
    candidate: MetricsOut


class ModelVersionOut(BaseModel):
    campaign_id: str
    version: str
    status: str = Field(description="candidate, promoted or retired.")
    based_on: str = Field(description="The model version it was fitted from.")
    created_at: datetime
    created_by: str = Field(description="The API key's name.")
    promoted_at: datetime | None
    evaluation: EvaluationOut
    model: ScoringModel = Field(description="The rules with their fitted points.")
    calibration: list[float] = Field(description="Probability of winning for each score 0-100.")


class ModelVersionList(BaseModel):
    items: list[ModelVersionOut]


class AuditOut(BaseModel):
    action: str = Field(description="fit, promote or rollback.")
    version: str
    actor: str = Field(description="The API key's name.")
    at: datetime
    detail: str
    metrics: dict[str, float | None]


class AuditList(BaseModel):
    items: list[AuditOut]


class CampaignCalibration(BaseModel):
    campaign_id: str
    closed: int = Field(description="Closed leads of the campaign.")
    model_version: str | None = Field(description="The campaign's model now (null: default).")
    current: MetricsOut | None = Field(
        description="The stored scores of the newer quarter of closed leads, calibrated on "
        "the older ones; null below the minimum of closed leads."
    )
    candidate_version: str | None = Field(description="The newest fitted version, if any.")
    candidate: MetricsOut | None = Field(description="Its hold-out evaluation.")


class CalibrationReport(BaseModel):
    campaigns: list[CampaignCalibration]
    minimum_closed: int = Field(description="Closed leads a fit (and this report) needs.")
