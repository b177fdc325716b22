"""Renders Envoy's bootstrap configuration from the mesh's settings.

One listener serves REST (HTTP/1.1 and HTTP/2) and gRPC on the same port. REST calls are
turned into gRPC by the transcoder from the descriptor set that `make protos` writes;
gRPC calls pass straight through. Routes are by protobuf service, one cluster per
service. The admin interface listens on 127.0.0.1 only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2

from services.common.settings import MEBIBYTE, Settings

DEFAULT_DESCRIPTOR_PATH = Path(__file__).resolve().parents[1] / "gen" / "descriptor.binpb"
PROTO_PACKAGE_PREFIX = "expertmusic."
#: The REST path of training-set uploads (larger than the other uploads).
DATASET_UPLOAD_PATH = "/v1/datasets"
#: The calls that start a melody-to-vocals take (rate limited).
VOCALS_REST_PATHS = ("/melody-to-vocals", "/v1/melody-to-vocals:stream")
VOCALS_GRPC_PATH = "/expertmusic.studio.v1.StudioService/MelodyToVocals"
#: The service behind `GET /` and `GET /health`, always deployed.
FRONT_SERVICE = "studio"
#: The service that serves the web studio's files, and where the page is.
WEB_SERVICE = "web"
WEB_PAGE_PATH = "/studio"
HTTP_FILTER_TYPES = {
    "cors": "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors",
    "buffer": "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer",
    "transcoder": (
        "type.googleapis.com/envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder"
    ),
    "router": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
    "local_ratelimit": (
        "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit"
    ),
}


def mesh_protobuf_services(descriptor_path: Path, service_names: list[str]) -> dict[str, str]:
    """Fully-qualified protobuf services of the deployed services -> the service they run in.

    ``expertmusic.pitch.v1.PitchService`` belongs to the ``pitch`` service by its package.
    """
    descriptor_set = descriptor_pb2.FileDescriptorSet.FromString(descriptor_path.read_bytes())
    services: dict[str, str] = {}
    for file in descriptor_set.file:
        if not file.package.startswith(PROTO_PACKAGE_PREFIX):
            continue
        owner = file.package.split(".")[1]
        if owner not in service_names:
            continue
        for service in file.service:
            services[f"{file.package}.{service.name}"] = owner
    return services


def _cluster(name: str, address: str, connect_timeout_s: float = 2.0) -> dict[str, Any]:
    host, port = address.rsplit(":", 1)
    return {
        "name": name,
        "type": "STRICT_DNS",
        "connect_timeout": f"{connect_timeout_s}s",
        "lb_policy": "ROUND_ROBIN",
        "typed_extension_protocol_options": {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": (
                    "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
                ),
                "explicit_http_config": {"http2_protocol_options": {}},
            }
        },
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [
                {
                    "lb_endpoints": [
                        {
                            "endpoint": {
                                "address": {
                                    "socket_address": {"address": host, "port_value": int(port)}
                                }
                            }
                        }
                    ]
                }
            ],
        },
    }


def _cors_policy(settings: Settings) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy",
        "allow_origin_string_match": [
            {"exact": origin} for origin in settings.cors_allowed_origins
        ],
        "allow_methods": "GET, POST, PUT, DELETE, OPTIONS",
        "allow_headers": (
            "content-type, authorization, x-grpc-web, grpc-timeout, x-user-agent, traceparent"
        ),
        "expose_headers": "grpc-status, grpc-message, content-disposition",
        "max_age": "600",
    }


def _rate_limited_vocals_routes(
    settings: Settings, route_timeout: str, no_buffering: dict[str, Any]
) -> list[dict[str, Any]]:
    """Routes of the melody-to-vocals calls, each behind a token bucket.

    A take costs seconds of CPU, so (as the seed did) the gateway limits how many start per
    minute: ``GATEWAY_VOCALS_PER_MINUTE`` per route and gateway instance, answering 429
    (RESOURCE_EXHAUSTED over gRPC) beyond it.
    The REST paths are matched before the transcoder rewrites them, the gRPC one after.
    """
    if not settings.gateway_vocals_per_minute:
        return []
    bucket = {
        "@type": (
            "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit"
        ),
        "stat_prefix": "vocals_rate_limit",
        # gRPC clients read "resource exhausted", not "unavailable", as "slow down".
        "rate_limited_as_resource_exhausted": True,
        "token_bucket": {
            "max_tokens": settings.gateway_vocals_per_minute,
            "tokens_per_fill": settings.gateway_vocals_per_minute,
            "fill_interval": "60s",
        },
        "filter_enabled": {
            "runtime_key": "vocals_rate_limit_enabled",
            "default_value": {"numerator": 100, "denominator": "HUNDRED"},
        },
        "filter_enforced": {
            "runtime_key": "vocals_rate_limit_enforced",
            "default_value": {"numerator": 100, "denominator": "HUNDRED"},
        },
    }
    route = {"cluster": FRONT_SERVICE, "timeout": route_timeout}
    return [
        {
            "match": {"path": VOCALS_GRPC_PATH},
            "route": route | {"max_stream_duration": {"grpc_timeout_header_max": route_timeout}},
            "typed_per_filter_config": no_buffering
            | {"envoy.filters.http.local_ratelimit": bucket},
        },
        *(
            {
                "match": {"path": path},
                "route": route,
                "typed_per_filter_config": {"envoy.filters.http.local_ratelimit": bucket},
            }
            for path in VOCALS_REST_PATHS
        ),
    ]


def _browser_redirect_routes(protobuf_services: dict[str, str]) -> list[dict[str, Any]]:
    """`GET /` from a browser (it asks for text/html) goes to the web studio; API clients
    asking for JSON (or anything else) keep getting the seed's banner.

    The transcoder would otherwise turn the request into a gRPC call before the router
    saw the redirect, so it is switched off on this route.
    """
    if WEB_SERVICE not in protobuf_services.values():
        return []
    return [
        {
            "match": {
                "path": "/",
                "headers": [{"name": "accept", "string_match": {"contains": "text/html"}}],
            },
            "redirect": {"path_redirect": WEB_PAGE_PATH},
            "typed_per_filter_config": {
                "envoy.filters.http.grpc_json_transcoder": {
                    "@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig",
                    "disabled": True,
                }
            },
        }
    ]


def envoy_config(
    settings: Settings, descriptor_path: Path = DEFAULT_DESCRIPTOR_PATH
) -> dict[str, Any]:
    """The whole Envoy bootstrap as a dict (dumped to YAML by the launcher)."""
    protobuf_services = mesh_protobuf_services(descriptor_path, settings.mesh_services)
    route_timeout = f"{settings.gateway_route_timeout_s}s"
    # The buffer filter is what answers 413 for an oversized REST upload; native gRPC
    # streams must not be buffered, so it is switched off on their routes. REST paths
    # match no route until the transcoder has rewritten them, so they keep the limit.
    no_buffering = {
        "envoy.filters.http.buffer": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute",
            "disabled": True,
        }
    }
    routes = _browser_redirect_routes(protobuf_services)
    routes += _rate_limited_vocals_routes(settings, route_timeout, no_buffering)
    routes += [
        {
            "match": {"prefix": f"/{full_name}/"},
            "route": {
                "cluster": owner,
                "timeout": route_timeout,
                "max_stream_duration": {"grpc_timeout_header_max": route_timeout},
            },
            "typed_per_filter_config": no_buffering,
        }
        for full_name, owner in sorted(protobuf_services.items())
    ]
    # Training sets are bigger than hums: their REST upload gets its own buffer limit.
    if "registry" in protobuf_services.values():
        routes.append(
            {
                "match": {"prefix": DATASET_UPLOAD_PATH},
                "route": {"cluster": "registry", "timeout": route_timeout},
                "typed_per_filter_config": {
                    "envoy.filters.http.buffer": {
                        "@type": (
                            "type.googleapis.com/envoy.extensions.filters.http.buffer.v3"
                            ".BufferPerRoute"
                        ),
                        "buffer": {
                            "max_request_bytes": settings.dataset_max_upload_bytes + MEBIBYTE
                        },
                    }
                },
            }
        )
    # REST paths are only rewritten to gRPC paths by the transcoder, after the CORS and
    # buffer filters have looked up their route: this catch-all gives those filters the
    # virtual host's policies (they ignore direct-response routes). A path that maps to
    # no method never reaches the cluster: the transcoder answers 404 itself.
    routes.append(
        {
            "match": {"prefix": "/"},
            "route": {"cluster": FRONT_SERVICE, "timeout": route_timeout},
        }
    )

    http_connection_manager = {
        "@type": (
            "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager"
            ".v3.HttpConnectionManager"
        ),
        "stat_prefix": "gateway",
        "codec_type": "AUTO",
        "stream_idle_timeout": route_timeout,
        "request_timeout": "0s",
        "common_http_protocol_options": {"idle_timeout": "300s"},
        "route_config": {
            "name": "mesh",
            "virtual_hosts": [
                {
                    "name": "expert-music-ai",
                    "domains": ["*"],
                    "routes": routes,
                    "typed_per_filter_config": {"envoy.filters.http.cors": _cors_policy(settings)},
                }
            ],
        },
        "http_filters": [
            {
                "name": "envoy.filters.http.cors",
                "typed_config": {"@type": HTTP_FILTER_TYPES["cors"]},
            },
            {
                # Buckets are per route (see _rate_limited_vocals_routes); none here.
                "name": "envoy.filters.http.local_ratelimit",
                "typed_config": {
                    "@type": HTTP_FILTER_TYPES["local_ratelimit"],
                    "stat_prefix": "rate_limit",
                },
            },
            {
                "name": "envoy.filters.http.buffer",
                "typed_config": {
                    "@type": HTTP_FILTER_TYPES["buffer"],
                    # Room for multipart framing around a file of the maximum size;
                    # the services enforce the exact limit with a clearer message.
                    "max_request_bytes": settings.max_upload_bytes + MEBIBYTE,
                },
            },
            {
                "name": "envoy.filters.http.grpc_json_transcoder",
                "typed_config": {
                    "@type": HTTP_FILTER_TYPES["transcoder"],
                    "proto_descriptor": str(descriptor_path),
                    "services": sorted(protobuf_services),
                    "print_options": {
                        "add_whitespace": False,
                        "always_print_primitive_fields": True,
                        "always_print_enums_as_ints": False,
                        "preserve_proto_field_names": True,
                        # Server streams (progress events) as one JSON object per line.
                        "stream_newline_delimited": True,
                    },
                    "convert_grpc_status": True,
                    "request_validation_options": {
                        "reject_unknown_method": True,
                        "reject_unknown_query_parameters": True,
                    },
                    "max_request_body_size": max(
                        settings.max_upload_bytes, settings.dataset_max_upload_bytes
                    )
                    + 2 * MEBIBYTE,
                    "max_response_body_size": 256 * MEBIBYTE,
                },
            },
            {
                "name": "envoy.filters.http.router",
                "typed_config": {"@type": HTTP_FILTER_TYPES["router"]},
            },
        ],
    }
    return {
        "overload_manager": {
            "resource_monitors": [
                {
                    "name": "envoy.resource_monitors.global_downstream_max_connections",
                    "typed_config": {
                        "@type": (
                            "type.googleapis.com/envoy.extensions.resource_monitors"
                            ".downstream_connections.v3.DownstreamConnectionsConfig"
                        ),
                        "max_active_downstream_connections": settings.gateway_max_connections,
                    },
                }
            ]
        },
        "admin": {
            "address": {
                "socket_address": {"address": "127.0.0.1", "port_value": settings.envoy_admin_port}
            }
        },
        "static_resources": {
            "listeners": [
                {
                    "name": "gateway",
                    "address": {
                        "socket_address": {
                            "address": settings.gateway_host,
                            "port_value": settings.gateway_port,
                        }
                    },
                    "filter_chains": [
                        {
                            "filters": [
                                {
                                    "name": "envoy.filters.network.http_connection_manager",
                                    "typed_config": http_connection_manager,
                                }
                            ]
                        }
                    ],
                }
            ],
            "clusters": [
                _cluster(name, settings.address_of(name))
                for name in sorted(set(protobuf_services.values()))
            ],
        },
    }
