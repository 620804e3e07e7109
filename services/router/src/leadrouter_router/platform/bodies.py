"""An API body from the object it shows: pydantic's ``from_attributes`` (each field the
source's attribute of the same name), with the fields that differ given by name::

    body_of(DecisionOut, row, decision_id=row.id, record=explanation)

instead of copying every field by hand. A field neither given nor on the source takes
its default, or fails validation as missing."""

from typing import TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def body_of(model: type[M], source: object, /, **given: object) -> M:
    unknown = given.keys() - model.model_fields.keys()
    if unknown:
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    shown = {
        name: getattr(source, name)
        for name in model.model_fields
        if name not in given and hasattr(source, name)
    }
    return model.model_validate({**shown, **given})
