"""The router's domain errors, each with its HTTP meaning (rendered as problem+json)."""

from leadrouter_runtime.problems import Problem


class UnknownReference(Problem):
    """The body names something that does not exist (a team, a policy, a salesperson)."""

    status = 422
    title = "Unknown reference"


class Conflict(Problem):
    status = 409
    title = "Conflict"
