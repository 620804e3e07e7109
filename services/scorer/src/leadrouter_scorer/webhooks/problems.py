"""The webhook's expected failures, each with its HTTP status (rendered as problem+json)."""

from fastapi.exceptions import RequestValidationError

from leadrouter_runtime.problems import NotFound, Problem, ServiceUnavailable


class Unauthorized(Problem):
    status = 401
    title = "Signature missing or not valid"


class Forbidden(Problem):
    status = 403
    title = "Forbidden"


class PayloadTooLarge(Problem):
    status = 413
    title = "Payload too large"


class TooManyRequests(Problem):
    status = 429
    title = "Too many requests"


class Saturated(ServiceUnavailable):
    """As many requests are in flight as the process takes: the platform should retry."""

    title = "Intake saturated"


class UnknownSource(NotFound):
    title = "Unknown webhook source"


class PlatformUnavailable(ServiceUnavailable):
    """The platform's API we must call (Graph API) failed: the platform should retry."""

    title = "A platform we depend on did not answer"


class UnmappablePayload(RequestValidationError):  # noqa: N818  (named like the Problems)
    """An authentic payload (signature checked) that we cannot map to a lead: a shape we
    do not know, a required field missing, no campaign. Every platform parser raises this
    one error for "cannot map", so that one place can decide what becomes of it; today it
    is rendered like FastAPI's validation errors, a 422 naming each field."""


def schema_violation(field: str, reason: str) -> UnmappablePayload:
    """A 422 naming ``field`` (a dotted path)."""
    loc = tuple(field.split("."))
    return UnmappablePayload([{"loc": loc, "msg": reason, "type": "value_error"}])
