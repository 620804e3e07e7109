"""The webhook's expected failures, each with its HTTP status (rendered as problem+json)."""

from fastapi.exceptions import RequestValidationError

from leadrouter_runtime.problems import Problem


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


class UnknownSource(Problem):
    status = 404
    title = "Unknown webhook source"


class PlatformUnavailable(Problem):
    """The platform's API we must call (Graph API) failed: the platform should retry."""

    status = 503
    title = "A platform we depend on did not answer"


def schema_violation(field: str, reason: str) -> RequestValidationError:
    """422 naming ``field``, rendered like FastAPI's own validation errors."""
    loc = tuple(field.split("."))
    return RequestValidationError([{"loc": loc, "msg": reason, "type": "value_error"}])
