"""Reading ``application/x-www-form-urlencoded`` bodies."""

from urllib.parse import parse_qsl

from leadrouter_runtime.problems import MalformedBody


def form_fields(body: bytes) -> dict[str, str]:
    """The form's fields (the first value of a repeated name), else 400."""
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body), errors="strict"
        )
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedBody(f"The body is not a valid URL-encoded form: {error}") from error
    fields: dict[str, str] = {}
    for name, value in pairs:
        # NUL removed: no database can store it (leadrouter_runtime.values).
        fields.setdefault(name.replace("\x00", ""), value.replace("\x00", ""))
    return fields
