"""The AsyncAPI 3.0 document of the topics (``schemas/asyncapi.yaml``), made from
their declaration (:data:`leadrouter_schemas.topics.TOPICS`).

Payloads reference the committed JSON Schema documents in ``schemas/json/``; the
Kafka bindings carry partitions, retention and compaction, and each message's key.
Spec: https://www.asyncapi.com/docs/reference/specification/v3.0.0 and the Kafka
bindings 0.5.0 (https://github.com/asyncapi/bindings/tree/master/kafka).
"""

from typing import Any, Final

import yaml

from leadrouter_schemas.envelope import Event
from leadrouter_schemas.topics import TOPICS, Header, Topic

KAFKA_BINDING: Final = "0.5.0"


def _camel(*parts: str) -> str:
    words = [w for part in parts for w in part.replace("-", ".").replace("_", ".").split(".")]
    return words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])


def _channel_id(topic: Topic) -> str:
    return _camel(topic.name)


def _message_id(event: type[Event], *, dead_letter: bool = False) -> str:
    type_name = event.model_fields["type"].default
    version = event.model_fields["schema_version"].default
    return _camel(type_name, f"v{version}", *(["dead", "letter"] if dead_letter else []))


def _headers_schema(headers: tuple[Header, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [h.name for h in headers],
        "properties": {
            h.name: {
                "type": "string",
                "description": h.description,
                **({"pattern": h.pattern} if h.pattern else {}),
            }
            for h in headers
        },
    }


def _message(topic: Topic, event: type[Event]) -> dict[str, Any]:
    type_name = event.model_fields["type"].default
    version = event.model_fields["schema_version"].default
    headers_id = "deadLetterHeaders" if topic.dead_letter_of else "eventHeaders"
    description = (event.__doc__ or "").strip() or None
    if topic.dead_letter_of:
        description = (
            f"A `{type_name}` v{version} record (or bytes that failed to be one) as it was "
            "consumed, with the reason in the `dlq-*` headers."
        )
    return {
        "name": type_name,
        "title": f"{event.__name__} v{version}"
        + (" (dead letter)" if topic.dead_letter_of else ""),
        **({"summary": description} if description else {}),
        "contentType": "application/json",
        "headers": {"$ref": f"#/components/schemas/{headers_id}"},
        "payload": {"$ref": f"./json/{type_name}.v{version}.json"},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": topic.key},
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }


def _raw_message_id(topic: Topic) -> str:
    assert topic.raw is not None
    return _camel(topic.raw.name, *(["dead", "letter"] if topic.dead_letter_of else []))


def _raw_headers_id(topic: Topic) -> str:
    return "quarantineHeaders" if topic.dead_letter_of else "webhookDeliveryHeaders"


def _raw_message(topic: Topic) -> dict[str, Any]:
    """A topic of raw bytes: the payload is whatever the platform sent."""
    assert topic.raw is not None
    return {
        "name": topic.raw.name,
        "title": topic.raw.title,
        "summary": topic.raw.description,
        "headers": {"$ref": f"#/components/schemas/{_raw_headers_id(topic)}"},
        "payload": {"description": topic.raw.description},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": topic.key},
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }


def _message_ids(topic: Topic) -> list[str]:
    if topic.raw is not None:
        return [_raw_message_id(topic)]
    return [_message_id(e, dead_letter=bool(topic.dead_letter_of)) for e in topic.events]


def _messages(topic: Topic) -> dict[str, dict[str, Any]]:
    if topic.raw is not None:
        return {_raw_message_id(topic): _raw_message(topic)}
    return {
        _message_id(e, dead_letter=bool(topic.dead_letter_of)): _message(topic, e)
        for e in topic.events
    }


def _channel(topic: Topic) -> dict[str, Any]:
    config: dict[str, Any] = {
        "cleanup.policy": ["compact" if topic.compacted else "delete"],
        "retention.ms": topic.retention_ms,
    }
    description = topic.summary
    if topic.tombstone:
        description += f" A tombstone (null value) means {topic.tombstone}."
    description += f" Key: {topic.key}."
    return {
        "address": topic.name,
        "title": topic.name,
        "description": description,
        "messages": {
            message: {"$ref": f"#/components/messages/{message}"} for message in _message_ids(topic)
        },
        "bindings": {
            "kafka": {
                "partitions": topic.partitions,
                "topicConfiguration": config,
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }


def _operations(topic: Topic) -> dict[str, Any]:
    channel = _channel_id(topic)
    messages = [
        {"$ref": f"#/channels/{channel}/messages/{message}"} for message in _message_ids(topic)
    ]
    out: dict[str, Any] = {}
    for action, who in (("send", topic.producers), ("receive", topic.consumers)):
        out[_camel(action, topic.name)] = {
            "action": action,
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": ("Written by " if action == "send" else "Read by ") + ", ".join(who) + ".",
            "messages": messages,
        }
    return out


def document() -> dict[str, Any]:
    """The AsyncAPI document as a mapping."""
    dead_letter_headers = next(t.headers for t in TOPICS if t.dead_letter_of and not t.raw)
    event_headers = next(t.headers for t in TOPICS if not t.dead_letter_of)
    raw_headers = {_raw_headers_id(t): _headers_schema(t.headers) for t in TOPICS if t.raw}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Lead router events",
            "version": "1.0.0",
            "description": "The topics of the lead router: what each carries, its key, its "
            "headers, who writes and who reads it. Generated from "
            "`leadrouter_schemas.topics` by `make schemas`; do not edit by hand.",
            "license": {"name": "Apache-2.0"},
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "The broker `make run` starts (KRaft, one node).",
            }
        },
        "channels": {_channel_id(t): _channel(t) for t in TOPICS},
        "operations": {k: v for t in TOPICS for k, v in _operations(t).items()},
        "components": {
            "schemas": {
                "eventHeaders": _headers_schema(event_headers),
                "deadLetterHeaders": _headers_schema(dead_letter_headers),
                **raw_headers,
            },
            "messages": {k: v for t in TOPICS for k, v in _messages(t).items()},
        },
    }


def render() -> str:
    """The document as committed (YAML, keys in declaration order)."""
    header = "# Generated by `make schemas` from leadrouter_schemas.topics: do not edit.\n"
    text: str = yaml.safe_dump(document(), sort_keys=False, allow_unicode=True, width=100)
    return header + text
