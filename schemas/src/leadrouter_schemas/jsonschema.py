"""Writes the committed JSON Schema documents (``schemas/json/``) from the models.

``python -m leadrouter_schemas.jsonschema [DIR]`` regenerates them; a test fails
when the committed files and the models drift apart.
"""

import json
import sys
from pathlib import Path

from leadrouter_schemas.serde import EVENT_TYPES

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "json"


def documents() -> dict[str, str]:
    """File name -> JSON text, one document per event type and version."""
    out: dict[str, str] = {}
    for event_type in EVENT_TYPES:
        type_name = event_type.model_fields["type"].default
        version = event_type.model_fields["schema_version"].default
        schema = event_type.model_json_schema(mode="serialization")
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"urn:leadrouter:event:{type_name}:v{version}",
            **schema,
        }
        out[f"{type_name}.v{version}.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else DEFAULT_DIR
    target.mkdir(parents=True, exist_ok=True)
    for name, text in documents().items():
        (target / name).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
