"""Vocals options of a REST upload: form fields override the query string."""

from __future__ import annotations

from expertmusic.studio.v1 import studio_pb2

from services.common.forms import set_form_fields

_OPTION_FIELDS = studio_pb2.VocalsOptions.DESCRIPTOR.fields_by_name


def options_from_rest(
    request: studio_pb2.CreateTakeRequest, form_fields: dict[str, str]
) -> studio_pb2.VocalsOptions:
    """The options of a REST upload: the query string's, then each form field on top.

    Raises:
        InvalidInputError: a form field that is no option, or text not of its type.
    """
    options = studio_pb2.VocalsOptions()
    for name in _OPTION_FIELDS:
        setattr(options, name, getattr(request, name))
    set_form_fields(options, form_fields)
    return options
