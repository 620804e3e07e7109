from dataclasses import dataclass

import pytest
from pydantic import BaseModel

from leadrouter_router.platform.bodies import body_of


@dataclass
class Shown:
    key: str
    count: int
    extra: str = "not a field of the body"


class Body(BaseModel):
    key: str
    count: int
    name: str | None = None


def test_each_field_is_the_attribute_of_the_same_name_unless_given() -> None:
    assert body_of(Body, Shown("a", 3)) == Body(key="a", count=3)
    assert body_of(Body, Shown("a", 3), count=4, name="Ana") == Body(key="a", count=4, name="Ana")


def test_a_given_name_the_body_does_not_have_is_a_mistake() -> None:
    with pytest.raises(TypeError, match="no field cuont"):
        body_of(Body, Shown("a", 3), cuont=4)
