"""gRPC wiring of the web service: a studio file as a stream of HttpBody pieces."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from expertmusic.web.v1 import web_pb2, web_pb2_grpc
from google.api import httpbody_pb2

from services.common.errors import grpc_errors
from services.common.server import ServiceSpec
from services.common.settings import Settings
from services.web.assets import AssetDirectory

#: The gateway passes these on as HTTP response headers. The files change only with a
#: release, and are small: a browser asks again every time rather than run stale code.
RESPONSE_METADATA = (("cache-control", "no-cache"),)


class WebServicer(web_pb2_grpc.WebServiceServicer):
    def __init__(self, assets: AssetDirectory) -> None:
        self._assets = assets

    @grpc_errors
    def GetAsset(
        self, request: web_pb2.GetAssetRequest, context: grpc.ServicerContext
    ) -> Iterator[httpbody_pb2.HttpBody]:
        asset = self._assets.find(request.path)
        context.send_initial_metadata(RESPONSE_METADATA)
        for chunk in self._assets.read(asset):
            # The gateway takes the Content-Type from the first piece.
            yield httpbody_pb2.HttpBody(content_type=asset.media_type, data=chunk)


def register(server: grpc.Server, settings: Settings) -> None:
    web_pb2_grpc.add_WebServiceServicer_to_server(
        WebServicer(AssetDirectory(settings.web_root)), server
    )


SPEC = ServiceSpec(
    name="web",
    protobuf_services=[web_pb2.DESCRIPTOR.services_by_name["WebService"].full_name],
    register=register,
    # It takes no uploads.
    max_upload_bytes=lambda settings: 0,
)
