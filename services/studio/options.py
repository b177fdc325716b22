"""Vocals options of a REST upload: form fields override the query string."""

from __future__ import annotations

from expertmusic.studio.v1 import studio_pb2
from google.protobuf.descriptor import FieldDescriptor

from services.common.errors import InvalidInputError

_OPTION_FIELDS = studio_pb2.VocalsOptions.DESCRIPTOR.fields_by_name


def options_from_rest(
    request: studio_pb2.CreateTakeRequest, form_fields: dict[str, str]
) -> studio_pb2.VocalsOptions:
    """The options of a REST upload: the query string's, then each form field on top."""
    options = studio_pb2.VocalsOptions()
    for name in _OPTION_FIELDS:
        setattr(options, name, getattr(request, name))
    for name, text in form_fields.items():
        field = _OPTION_FIELDS.get(name)
        if field is None:
            raise InvalidInputError(
                f"unknown form field {name!r}; the options are: "
                + ", ".join(sorted(_OPTION_FIELDS))
            )
        if field.type == FieldDescriptor.TYPE_STRING:
            setattr(options, name, text.strip())
            continue
        if field.type == FieldDescriptor.TYPE_DOUBLE:
            try:
                setattr(options, name, float(text.strip() or 0))
            except ValueError:
                raise InvalidInputError(f"the form field {name!r} must be a number") from None
            continue
        try:
            setattr(options, name, int(text.strip() or 0))
        except ValueError:
            raise InvalidInputError(f"the form field {name!r} must be a whole number") from None
    return options
