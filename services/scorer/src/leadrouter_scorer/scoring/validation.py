"""Validation criteria: pure checks over a lead, each failure with a code and a sentence."""

from email_validator import EmailNotValidError, validate_email

from leadrouter_schemas import Lead, RejectionReason, ValidationCriteria


def _value_at(lead: Lead, path: str) -> object:
    value: object = lead
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def validate(lead: Lead, criteria: ValidationCriteria) -> list[RejectionReason]:
    """Every criterion the lead fails; empty when it is valid."""
    reasons = [
        RejectionReason(code="field.missing", message=f"{path} is required.", field=path)
        for path in criteria.required_fields
        if _value_at(lead, path) in (None, "")
    ]
    email = lead.contact.email
    if email:
        try:
            # Syntax only: deliverability needs DNS, which a pure check must not do.
            validate_email(email, check_deliverability=False)
        except EmailNotValidError as error:
            reasons.append(
                RejectionReason(
                    code="email.invalid",
                    message=f"The e-mail address is not valid: {error}",
                    field="contact.email",
                )
            )
    return reasons
