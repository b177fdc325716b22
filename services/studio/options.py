"""Vocals options from a REST form: form fields override the query string."""

from __future__ import annotations

from expertmusic.studio.v1 import studio_pb2
from google.protobuf.descriptor import FieldDescriptor

from services.common.errors import InvalidInputError

_OPTION_FIELDS = studio_pb2.VocalsOptions.DESCRIPTOR.fields_by_name


def merge_form_fields(
    query_options: studio_pb2.VocalsOptions, fields: dict[str, str]
) -> studio_pb2.VocalsOptions:
    """``query_options`` with every form field applied on top, each checked and converted."""
    options = studio_pb2.VocalsOptions()
    options.CopyFrom(query_options)
    for name, text in fields.items():
        field = _OPTION_FIELDS.get(name)
        if field is None:
            raise InvalidInputError(
                f"unknown form field {name!r}; the options are: "
                + ", ".join(sorted(_OPTION_FIELDS))
            )
        if field.type == FieldDescriptor.TYPE_STRING:
            setattr(options, name, text.strip())
            continue
        try:
            setattr(options, name, int(text.strip() or 0))
        except ValueError:
            raise InvalidInputError(f"the form field {name!r} must be a whole number") from None
    return options
