"""The Lua filter that rewords the transcoder's refusals is built from the contract."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2

from gateway.config import WEB_PAGE_PATH
from gateway.transcoder_messages import (
    lua_pattern,
    lua_source,
    repeated_message_fields,
    request_fields,
    rest_routes,
)

DESCRIPTOR = Path(__file__).resolve().parents[2] / "gen" / "descriptor.binpb"
STUDIO = "expertmusic.studio.v1.StudioService"


def descriptor_set() -> descriptor_pb2.FileDescriptorSet:
    return descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTOR.read_bytes())


def test_a_requests_query_parameters_are_its_scalar_fields() -> None:
    fields = request_fields(descriptor_set(), [STUDIO])
    create = fields["expertmusic.studio.v1.CreateTakeRequest"]
    assert {"theme", "seed", "voice", "timeout_s"} <= set(create)
    assert "upload" not in create  # the body, a message
    assert "expertmusic.pitch.v1.UploadMelodyRequest" not in fields  # not asked for


def test_the_filter_knows_every_scalar_type_and_the_requests_it_serves() -> None:
    source = lua_source(descriptor_set(), [STUDIO], WEB_PAGE_PATH)
    assert '["UINT32"] = "a whole number from 0 to 4294967295"' in source
    assert '["expertmusic.studio.v1.CreateTakeRequest"] = "genre, ' in source
    assert "function envoy_on_response(handle)" in source


def test_the_filter_knows_which_fields_are_lists_of_objects_and_maps_are_not() -> None:
    repeated = repeated_message_fields(descriptor_set())

    assert {"notes", "lines", "syllables", "phrases"} <= set(repeated)
    assert "line_texts" not in repeated  # a map, declared as repeated entries
    assert '["notes"] = true' in lua_source(descriptor_set(), [STUDIO], WEB_PAGE_PATH)


def test_the_rest_routes_and_their_methods_come_from_the_http_rules() -> None:
    routes = rest_routes(descriptor_set(), [STUDIO])

    assert routes["/v1/takes/{take_id}:revise"] == ["POST"]
    assert routes["/v1/takes/{take_id}"] == ["DELETE", "GET"]
    assert routes["/health"] == ["GET", "HEAD"]  # an additional, custom binding
    assert "/v1/voices" not in routes  # the synth's, not asked for


@pytest.mark.parametrize(
    ("template", "pattern"),
    [
        ("/v1/lyrics:write", "^/v1/lyrics%:write$"),
        ("/v1/takes/{take_id}:revise", "^/v1/takes/[^/:]+%:revise$"),
        ("/studio/{path=**}", "^/studio/.*$"),
        ("/v1/melody-to-vocals:stream", "^/v1/melody%-to%-vocals%:stream$"),
    ],
)
def test_a_path_template_becomes_an_anchored_lua_pattern(template: str, pattern: str) -> None:
    assert lua_pattern(template) == pattern
