"""Renders Envoy's bootstrap configuration from the mesh's settings.

One listener serves REST (HTTP/1.1 and HTTP/2) and gRPC on the same port. REST calls are
turned into gRPC by the transcoder from the descriptor set that `make protos` writes;
gRPC calls pass straight through. Routes are by protobuf service, one cluster per
service. ``grpc.health.v1.Health`` and server reflection go to the gateway's own gRPC
server (``gateway/server.py``), since Envoy cannot answer them and no one service should.
A gRPC call to a method nobody serves gets UNIMPLEMENTED at once, a REST path that maps
to no method a 404 with a JSON body; every error Envoy writes itself is JSON for REST
callers (``{"code": <gRPC code>, "message": …}``, like the services' errors).

Who may call: with a key file (``GATEWAY_API_KEYS_FILE``) every call but the probes'
(``GET /``, ``GET /health``, gRPC health, reflection, CORS preflights) needs a key; the
keys' filter configuration is discovered from a file (see ``gateway/keys.py``) so a new
key file applies without a restart. Takes are rate limited per key (per gateway without
keys). The admin interface listens on 127.0.0.1 only; a separate listener serves nothing
but Envoy's metrics.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2

from gateway import transcoder_messages
from gateway.keys import API_KEY_FILTER_NAME, API_KEY_FILTER_TYPE
from services.common.callers import CLIENT_NAME_METADATA_KEY
from services.common.settings import MEBIBYTE, Settings
from services.common.uploads import FORM_FIELDS_ALLOWANCE_BYTES

DEFAULT_DESCRIPTOR_PATH = Path(__file__).resolve().parents[1] / "gen" / "descriptor.binpb"
PROTO_PACKAGE_PREFIX = "expertmusic."
#: The REST path of training-set uploads (larger than the other uploads).
DATASET_UPLOAD_PATH = "/v1/datasets"
#: The calls that start a melody-to-vocals take (rate limited).
VOCALS_REST_PATHS = ("/melody-to-vocals", "/v1/melody-to-vocals:stream")
VOCALS_GRPC_PATH = "/expertmusic.studio.v1.StudioService/MelodyToVocals"
#: How each call that makes a take (a new one or a revision) is told by its path: REST
#: paths carry options as a query string (so prefixes), revisions name their take.
TAKE_PATH_MATCHERS: tuple[dict[str, Any], ...] = (
    *({"prefix": path} for path in (*VOCALS_REST_PATHS, VOCALS_GRPC_PATH)),
    {"prefix": "/expertmusic.studio.v1.StudioService/ReviseTake"},
    {"prefix": "/expertmusic.studio.v1.StudioService/StreamReviseTake"},
    {"safe_regex": {"regex": "/v1/takes/[^/]+:(revise|streamRevise)([?].*)?"}},
)
#: The service behind `GET /` and `GET /health`, always deployed.
FRONT_SERVICE = "studio"
#: The service that serves the web studio's files, and where the page is.
WEB_SERVICE = "web"
WEB_PAGE_PATH = "/studio"
#: REST paths that answer without a key: what probes and load balancers call (and the
#: studio page's files, under WEB_PAGE_PATH).
OPEN_REST_PATHS = ("/", "/health")
#: The gateway's own gRPC server (health, reflection) as Envoy knows it.
LOCAL_CLUSTER = "gateway_local"
ADMIN_CLUSTER = "envoy_admin"
HEALTH_SERVICE = "grpc.health.v1.Health"
REFLECTION_SERVICES = (
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
)
GRPC_CONTENT_TYPE = "application/grpc"
#: The content type the caller sent, kept before the transcoder turns a REST call into a
#: gRPC one: Envoy's own errors are JSON for REST callers and gRPC statuses for gRPC ones.
CALLER_CONTENT_TYPE_HEADER = "x-gateway-caller-content-type"
#: Where Envoy's metrics are served on the metrics listener (as on every service).
METRICS_PATH = "/metrics"
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
    "api_key_auth": API_KEY_FILTER_TYPE,
    "header_mutation": (
        "type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation"
    ),
    "lua": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
}
#: Response headers on every answer, the API's and the page's (served at /studio from
#: this origin): no inline scripts or styles, no framing, no sniffing, no referrer.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    # The page records the user's voice; nothing else may ask for devices.
    "permissions-policy": "microphone=(self), camera=(), geolocation=(), payment=()",
}
#: HTTP status -> the gRPC code in the JSON body of Envoy's own REST errors (the mapping
#: of https://github.com/grpc/grpc/blob/master/doc/http-grpc-status-mapping.md, turned
#: around; 404 is NOT_FOUND for a path, 413 and 429 RESOURCE_EXHAUSTED).
GRPC_CODE_OF_HTTP_STATUS = {
    400: 3,
    401: 16,
    403: 7,
    404: 5,
    405: 12,
    408: 4,
    413: 8,
    429: 8,
    431: 3,
    502: 14,
    503: 14,
    504: 4,
}
UNKNOWN_GRPC_CODE = 2
#: Envoy's response flags for "the upstream service could not be reached or went away".
UPSTREAM_FAILURE_FLAGS = ["UH", "UF", "UC", "UR", "URX", "NC", "UT"]


#: Envoy allows 3 retries in flight per cluster by default: with many callers waiting
#: out one restart, the fourth would fail at once.
MAX_RETRIES_IN_FLIGHT = 1000
#: The longest pause between two tries of an undelivered call, in seconds (Envoy picks
#: each pause at random up to this, so a try comes about every half of it).
RETRY_MAX_INTERVAL_S = 1.0


def not_delivered_retries(settings: Settings) -> dict[str, Any] | None:
    """A call that never reached its service (connection refused or reset before the
    request went out: the service is restarting) is tried again for about
    ``GATEWAY_RESTART_WAIT_S``; nothing it asked was done, so repeating it is safe. A call
    already delivered is never repeated. None when the wait is 0."""
    tries = math.ceil(settings.gateway_restart_wait_s / (RETRY_MAX_INTERVAL_S / 2))
    if tries <= 0:
        return None
    return {
        "retry_on": "connect-failure,refused-stream,reset-before-request",
        "num_retries": tries,
        "retry_back_off": {"base_interval": "0.1s", "max_interval": f"{RETRY_MAX_INTERVAL_S}s"},
    }


def _descriptor_set(descriptor_path: Path) -> descriptor_pb2.FileDescriptorSet:
    return descriptor_pb2.FileDescriptorSet.FromString(descriptor_path.read_bytes())


def mesh_protobuf_services(descriptor_path: Path, service_names: list[str]) -> dict[str, str]:
    """Fully-qualified protobuf services of the deployed services -> the service they run in.

    ``expertmusic.pitch.v1.PitchService`` belongs to the ``pitch`` service by its package.
    """
    descriptor_set = _descriptor_set(descriptor_path)
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


def _socket_address(host: str, port: int) -> dict[str, Any]:
    return {"socket_address": {"address": host, "port_value": port}}


def _cluster(
    name: str, address: str, http2: bool = True, connect_timeout_s: float = 2.0
) -> dict[str, Any]:
    host, port = address.rsplit(":", 1)
    cluster: dict[str, Any] = {
        "name": name,
        "type": "STRICT_DNS",
        "connect_timeout": f"{connect_timeout_s}s",
        "lb_policy": "ROUND_ROBIN",
        "circuit_breakers": {"thresholds": [{"max_retries": MAX_RETRIES_IN_FLIGHT}]},
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [
                {"lb_endpoints": [{"endpoint": {"address": _socket_address(host, int(port))}}]}
            ],
        },
    }
    if http2:
        cluster["typed_extension_protocol_options"] = {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": (
                    "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
                ),
                "explicit_http_config": {"http2_protocol_options": {}},
            }
        }
    return cluster


def _cors_policy(settings: Settings) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy",
        "allow_origin_string_match": [
            {"exact": origin} for origin in settings.cors_allowed_origins
        ],
        "allow_methods": "GET, POST, PUT, DELETE, OPTIONS",
        "allow_headers": (
            "content-type, authorization, x-api-key, idempotency-key, x-grpc-web, grpc-timeout,"
            " x-user-agent, traceparent"
        ),
        "expose_headers": "grpc-status, grpc-message, content-disposition, retry-after",
        "max_age": "600",
    }


def _grpc_request(header: str = "content-type") -> dict[str, Any]:
    return {"name": header, "string_match": {"prefix": GRPC_CONTENT_TYPE}}


def _disabled(*filter_names: str) -> dict[str, Any]:
    """Per-route configuration that switches the named filters off on the route."""
    return {
        name: {"@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig", "disabled": True}
        for name in filter_names
    }


def vocals_fill_interval_s(takes_per_minute: int) -> float:
    """One token back every this many seconds: a smooth refill, not a minute's worth at once."""
    return max(60.0 / takes_per_minute, 0.05)  # Envoy's shortest fill interval


def _take_rate_limit(settings: Settings) -> dict[str, Any]:
    """The rate limit filter: takes started per minute, per client key.

    A take (new or revised) costs seconds of CPU, so (as the seed did) the gateway limits
    how many start per minute: ``GATEWAY_VOCALS_PER_MINUTE`` per client (one token bucket
    per key name, the name the key filter forwards), or one bucket per gateway instance
    when there are no keys. REST and gRPC calls draw on the same bucket. Beyond it: 429
    (RESOURCE_EXHAUSTED over gRPC) with ``retry-after``, the seconds until the next token.
    The filter runs before the transcoder, so it sees the paths callers sent.
    """
    config: dict[str, Any] = {
        "@type": HTTP_FILTER_TYPES["local_ratelimit"],
        "stat_prefix": "vocals_rate_limit",
    }
    per_minute = settings.gateway_vocals_per_minute
    if not per_minute:
        return config
    fill_interval_s = vocals_fill_interval_s(per_minute)
    token_bucket = {
        "max_tokens": per_minute,
        "tokens_per_fill": max(1, round(per_minute * fill_interval_s / 60)),
        "fill_interval": f"{fill_interval_s:.3f}s",
    }

    def is_take(path_matcher: dict[str, Any]) -> dict[str, Any]:
        return {
            "header_value_match": {
                "descriptor_key": "call",
                "descriptor_value": "take",
                "headers": [{"name": ":path", "string_match": path_matcher}],
            }
        }

    client = {
        "request_headers": {
            "header_name": CLIENT_NAME_METADATA_KEY,
            "descriptor_key": "client",
            "skip_if_absent": True,
        }
    }
    return config | {
        # gRPC clients read "resource exhausted", not "unavailable", as "slow down".
        "rate_limited_as_resource_exhausted": True,
        # One entry per kind of path; a call matches one, so it draws one token.
        "rate_limits": [{"actions": [is_take(matcher), client]} for matcher in TAKE_PATH_MATCHERS],
        "descriptors": [
            # One bucket per client name (created on first use), one for unnamed callers.
            {
                "entries": [{"key": "call", "value": "take"}, {"key": "client"}],
                "token_bucket": token_bucket,
            },
            {"entries": [{"key": "call", "value": "take"}], "token_bucket": token_bucket},
        ],
        "max_dynamic_descriptors": 10_000,
        "always_consume_default_token_bucket": False,
        "response_headers_to_add": [
            {
                "header": {"key": "retry-after", "value": str(math.ceil(fill_interval_s))},
                "append_action": "OVERWRITE_IF_EXISTS_OR_ADD",
            }
        ],
        "filter_enabled": {
            "runtime_key": "vocals_rate_limit_enabled",
            "default_value": {"numerator": 100, "denominator": "HUNDRED"},
        },
        "filter_enforced": {
            "runtime_key": "vocals_rate_limit_enforced",
            "default_value": {"numerator": 100, "denominator": "HUNDRED"},
        },
    }


def _gateway_local_routes(no_buffering: dict[str, Any], keys: bool) -> list[dict[str, Any]]:
    """gRPC health and reflection, answered by the gateway's own server, open to all."""
    open_to_all = _disabled(API_KEY_FILTER_NAME) if keys else {}
    return [
        {
            "match": {"prefix": f"/{service}/", "headers": [_grpc_request()]},
            "route": {
                "cluster": LOCAL_CLUSTER,
                # Health Watch streams last as long as the watcher wants.
                "timeout": "0s",
                "idle_timeout": "0s" if service == HEALTH_SERVICE else "60s",
            },
            "typed_per_filter_config": no_buffering | open_to_all,
        }
        for service in (HEALTH_SERVICE, *REFLECTION_SERVICES)
    ]


def _reading_method() -> dict[str, Any]:
    """A route header match for GET and HEAD (a HEAD is answered as its GET, bodiless)."""
    return {"name": ":method", "string_match": {"safe_regex": {"regex": "GET|HEAD"}}}


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
            # 302, not Envoy's default 301: a browser keeps a permanent redirect for
            # good, and `/` is the API's too.
            "redirect": {"path_redirect": WEB_PAGE_PATH, "response_code": "FOUND"},
            # The API's answer at `/` (the banner) differs: caches keep them apart.
            "response_headers_to_add": [
                {
                    "header": {"key": "vary", "value": "Accept"},
                    "append_action": "APPEND_IF_EXISTS_OR_ADD",
                }
            ],
            "typed_per_filter_config": {
                "envoy.filters.http.grpc_json_transcoder": {
                    "@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig",
                    "disabled": True,
                }
            },
        }
    ]


def _buffer_limit(max_request_bytes: int) -> dict[str, Any]:
    """A route's own request size limit: bodies over it get 413 from the buffer filter."""
    return {
        "envoy.filters.http.buffer": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute",
            "buffer": {"max_request_bytes": max_request_bytes},
        }
    }


def _json_error(code: int, message: str) -> dict[str, Any]:
    return {"json_format": {"code": code, "message": message}, "content_type": "application/json"}


def take_limit_message(settings: Settings, keys: bool) -> str:
    """What a caller over the take limit is told (``_take_rate_limit``): the limit, whose
    it is, and when to try again (also in ``retry-after``)."""
    per_minute = settings.gateway_vocals_per_minute
    whose = "each client key may start" if keys else "this gateway starts, for all its callers,"
    retry_after_s = math.ceil(vocals_fill_interval_s(per_minute))
    return (
        f"too many takes: {whose} {per_minute} a minute (new takes and revisions "
        f"together); try again in {retry_after_s} s"
    )


def _local_reply_config(settings: Settings, keys: bool) -> dict[str, Any]:
    """How Envoy words the answers it writes itself (no route, 401, 413, 429, 503...).

    gRPC callers get the status in ``grpc-status``/``grpc-message`` (Envoy maps the HTTP
    status: 401 -> UNAUTHENTICATED, 404 -> UNIMPLEMENTED, 503 -> UNAVAILABLE; the take
    limit's 429 -> RESOURCE_EXHAUSTED); REST callers get the same JSON shape as the
    services' errors. An unreachable service is named. Only Envoy's own answers are
    reworded: a service's 429 (the studio's full queue, say) reaches the caller through
    the transcoder as the service wrote it.
    """
    grpc_request = {"header_filter": {"header": _grpc_request(CALLER_CONTENT_TYPE_HEADER)}}
    unavailable = {"response_flag_filter": {"flags": UPSTREAM_FAILURE_FLAGS}}
    unavailable_message = (
        "the %UPSTREAM_CLUSTER% service is unavailable (%LOCAL_REPLY_BODY%); try again shortly"
    )
    key_message = (
        "a valid API key is required: send it as 'Authorization: Bearer <key>' or 'x-api-key'"
    )

    def status_is(status: int) -> dict[str, Any]:
        return {
            "status_code_filter": {
                "comparison": {
                    "op": "EQ",
                    "value": {"default_value": status, "runtime_key": f"local_reply.{status}"},
                }
            }
        }

    def both(*filters: dict[str, Any]) -> dict[str, Any]:
        return {"and_filter": {"filters": list(filters)}}

    messages = {
        401: key_message,
        413: (
            f"the upload is larger than the gateway takes: {settings.max_upload_bytes} bytes "
            f"of audio ({FORM_FIELDS_ALLOWANCE_BYTES} more for the other fields of a "
            f"multipart form), {settings.dataset_max_upload_bytes} bytes for a training set"
        ),
    }
    # Envoy's only 429 is the take limit's (``_take_rate_limit``).
    if settings.gateway_vocals_per_minute:
        messages[429] = take_limit_message(settings, keys)
    mappers: list[dict[str, Any]] = [
        {"filter": both(grpc_request, status_is(401)), "body": {"inline_string": key_message}},
        *(
            [
                {
                    "filter": both(grpc_request, status_is(429)),
                    "body": {"inline_string": messages[429]},
                }
            ]
            if 429 in messages
            else []
        ),
        {
            "filter": both(grpc_request, status_is(404)),
            "body_format_override": {
                "text_format_source": {"inline_string": "no such method: %REQ(:PATH)%"}
            },
        },
        {
            "filter": both(grpc_request, unavailable),
            "body_format_override": {"text_format_source": {"inline_string": unavailable_message}},
        },
        # Any other gRPC answer keeps Envoy's own wording (and no JSON body).
        {"filter": grpc_request},
        {
            "filter": status_is(401),
            "headers_to_add": [
                {
                    "header": {"key": "www-authenticate", "value": "Bearer"},
                    "append_action": "OVERWRITE_IF_EXISTS_OR_ADD",
                }
            ],
            "body_format_override": _json_error(16, key_message),
        },
        {
            "filter": unavailable,
            "body_format_override": _json_error(14, unavailable_message),
        },
    ]
    for status, code in GRPC_CODE_OF_HTTP_STATUS.items():
        if status == 401:
            continue
        mappers.append(
            {
                "filter": status_is(status),
                "body_format_override": _json_error(
                    code, messages.get(status, "%LOCAL_REPLY_BODY%")
                ),
            }
        )
    mappers.append(
        {
            "filter": {
                "status_code_filter": {
                    "comparison": {
                        "op": "GE",
                        "value": {"default_value": 400, "runtime_key": "local_reply.error"},
                    }
                }
            },
            "body_format_override": _json_error(UNKNOWN_GRPC_CODE, "%LOCAL_REPLY_BODY%"),
        }
    )
    return {"mappers": mappers}


def _metrics_listener(settings: Settings) -> dict[str, Any]:
    """Envoy's Prometheus metrics at ``/metrics`` on their own port, and nothing else."""
    return {
        "name": "metrics",
        "address": _socket_address(settings.service_bind_host, settings.gateway_metrics_port),
        "filter_chains": [
            {
                "filters": [
                    {
                        "name": "envoy.filters.network.http_connection_manager",
                        "typed_config": {
                            "@type": (
                                "type.googleapis.com/envoy.extensions.filters.network"
                                ".http_connection_manager.v3.HttpConnectionManager"
                            ),
                            "stat_prefix": "metrics",
                            "route_config": {
                                "name": "metrics",
                                "virtual_hosts": [
                                    {
                                        "name": "metrics",
                                        "domains": ["*"],
                                        "routes": [
                                            {
                                                "match": {
                                                    "path": METRICS_PATH,
                                                    "headers": [
                                                        {
                                                            "name": ":method",
                                                            "string_match": {"exact": "GET"},
                                                        }
                                                    ],
                                                },
                                                "route": {
                                                    "cluster": ADMIN_CLUSTER,
                                                    "prefix_rewrite": "/stats/prometheus",
                                                },
                                            }
                                        ],
                                    }
                                ],
                            },
                            "http_filters": [
                                {
                                    "name": "envoy.filters.http.router",
                                    "typed_config": {"@type": HTTP_FILTER_TYPES["router"]},
                                }
                            ],
                        },
                    }
                ]
            }
        ],
    }


def envoy_config(
    settings: Settings,
    descriptor_path: Path = DEFAULT_DESCRIPTOR_PATH,
    api_keys_discovery_file: Path | None = None,
) -> dict[str, Any]:
    """The whole Envoy bootstrap as a dict (dumped to YAML by the launcher).

    ``api_keys_discovery_file``: where ``gateway.keys`` writes the key filter's
    configuration; None runs the gateway without keys.
    """
    keys = api_keys_discovery_file is not None
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
    routes += _gateway_local_routes(no_buffering, keys)
    retries = not_delivered_retries(settings)
    routes += [
        {
            "match": {"prefix": f"/{full_name}/"},
            "route": {
                "cluster": owner,
                # A gRPC caller's own deadline (grpc-timeout) is not enforced here too:
                # Envoy would reset the stream at the same instant as the caller's timer,
                # and a caller who saw the reset first got INTERNAL ("RST_STREAM") instead
                # of DEADLINE_EXCEEDED. The header goes on to the service, which stops its
                # work at the deadline; the caller's cancel reaches it through Envoy too.
                "timeout": route_timeout,
                **({"retry_policy": retries} if retries else {}),
            },
            # Room to keep an upload for a retry (a bigger one is just not retried).
            "request_body_buffer_limit": settings.max_upload_bytes + MEBIBYTE,
            "typed_per_filter_config": no_buffering,
        }
        for full_name, owner in sorted(protobuf_services.items())
    ]
    if keys:
        routes += [
            {
                "match": {
                    "path": path,
                    "headers": [_reading_method()],
                },
                "route": {"cluster": FRONT_SERVICE, "timeout": route_timeout},
                "typed_per_filter_config": _disabled(API_KEY_FILTER_NAME),
            }
            for path in OPEN_REST_PATHS
        ]
        # The studio page's files are public (the page asks its user for a key and sends
        # it with the API calls it makes); the route only lifts the key check.
        if WEB_SERVICE in protobuf_services.values():
            routes += [
                {
                    "match": match | {"headers": [_reading_method()]},
                    "route": {"cluster": WEB_SERVICE, "timeout": route_timeout},
                    "typed_per_filter_config": _disabled(API_KEY_FILTER_NAME),
                }
                for match in ({"path": WEB_PAGE_PATH}, {"prefix": f"{WEB_PAGE_PATH}/"})
            ]
    # Training sets are bigger than hums: their REST upload gets its own buffer limit.
    if "registry" in protobuf_services.values():
        routes.append(
            {
                "match": {"prefix": DATASET_UPLOAD_PATH},
                "route": {"cluster": "registry", "timeout": route_timeout},
                "typed_per_filter_config": _buffer_limit(settings.dataset_max_upload_bytes),
            }
        )
    # A multipart form carries fields besides its file, which the gateway cannot tell
    # apart: its body may be that much larger (the studio holds the file to the limit).
    routes.append(
        {
            "match": {
                "prefix": "/",
                "headers": [
                    {
                        "name": "content-type",
                        "string_match": {"prefix": "multipart/form-data", "ignore_case": True},
                    }
                ],
            },
            "route": {"cluster": FRONT_SERVICE, "timeout": route_timeout},
            "typed_per_filter_config": _buffer_limit(
                settings.max_upload_bytes + FORM_FIELDS_ALLOWANCE_BYTES
            ),
        }
    )
    # A gRPC call for a service not routed above: UNIMPLEMENTED at once (Envoy's gRPC
    # answer to a 404), without waiting for the end of a stream that may never end.
    routes.append(
        {
            "match": {"prefix": "/", "headers": [_grpc_request()]},
            "direct_response": {"status": 404},
            "typed_per_filter_config": no_buffering,
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

    http_filters: list[dict[str, Any]] = [
        {
            # First, so that its response headers reach every answer, Envoy's own too.
            "name": "envoy.filters.http.header_mutation",
            "typed_config": {
                "@type": HTTP_FILTER_TYPES["header_mutation"],
                "mutations": {
                    "response_mutations": [
                        {
                            "append": {
                                "header": {"key": name, "value": value},
                                "append_action": "ADD_IF_ABSENT",
                            }
                        }
                        for name, value in SECURITY_HEADERS.items()
                    ]
                },
            },
        },
        {
            "name": "envoy.filters.http.cors",
            "typed_config": {"@type": HTTP_FILTER_TYPES["cors"]},
        },
    ]
    if api_keys_discovery_file is not None:
        http_filters.append(
            {
                "name": API_KEY_FILTER_NAME,
                "config_discovery": {
                    "config_source": {
                        "path_config_source": {
                            "path": str(api_keys_discovery_file),
                            "watched_directory": {"path": str(api_keys_discovery_file.parent)},
                        }
                    },
                    "type_urls": [HTTP_FILTER_TYPES["api_key_auth"]],
                },
            }
        )
    http_filters += [
        {
            # After the key filter, which supplies the client name buckets are keyed by.
            "name": "envoy.filters.http.local_ratelimit",
            "typed_config": _take_rate_limit(settings),
        },
        {
            "name": "envoy.filters.http.buffer",
            "typed_config": {
                "@type": HTTP_FILTER_TYPES["buffer"],
                # A raw upload's body is its audio: one byte over the limit is a 413 here
                # (forms and training sets get their own limits, on their routes).
                "max_request_bytes": settings.max_upload_bytes,
            },
        },
        {
            # Before the transcoder, so that its refusals pass through on their way out
            # and the requests it reads are the ones it should (see transcoder_messages).
            "name": "envoy.filters.http.lua",
            "typed_config": {
                "@type": HTTP_FILTER_TYPES["lua"],
                "default_source_code": {
                    "inline_string": transcoder_messages.lua_source(
                        _descriptor_set(descriptor_path), protobuf_services, WEB_PAGE_PATH
                    )
                },
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
                # HTML forms and every URL-encoding library write a space as "+" in a
                # query (application/x-www-form-urlencoded): "theme=night+trains".
                "query_param_unescape_plus": True,
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
            "typed_config": {
                "@type": HTTP_FILTER_TYPES["router"],
                # No x-envoy-* timing headers that describe the inside to callers.
                "suppress_envoy_headers": True,
            },
        },
    ]

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
        # The edge: the peer's address is the client's, and x-envoy-* request headers
        # from outside are not obeyed.
        "use_remote_address": True,
        "normalize_path": True,
        "merge_slashes": True,
        "server_header_transformation": "PASS_THROUGH",
        # A client must not pass itself off as another: the name header is the key
        # filter's to set, so whatever a client sent under it is dropped first.
        "early_header_mutation_extensions": [
            {
                "name": "envoy.http.early_header_mutation.header_mutation",
                "typed_config": {
                    "@type": (
                        "type.googleapis.com/envoy.extensions.http.early_header_mutation"
                        ".header_mutation.v3.HeaderMutation"
                    ),
                    "mutations": [
                        {"remove": CLIENT_NAME_METADATA_KEY},
                        {
                            "append": {
                                "header": {
                                    "key": CALLER_CONTENT_TYPE_HEADER,
                                    "value": "%REQ(content-type)%",
                                },
                                "append_action": "OVERWRITE_IF_EXISTS_OR_ADD",
                            }
                        },
                    ],
                },
            }
        ],
        "local_reply_config": _local_reply_config(settings, keys),
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
        "http_filters": http_filters,
    }
    listeners = [
        {
            "name": "gateway",
            "address": _socket_address(settings.gateway_host, settings.gateway_port),
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
    ]
    if settings.gateway_metrics_port:
        listeners.append(_metrics_listener(settings))
    clusters = [
        _cluster(name, settings.address_of(name))
        for name in sorted(set(protobuf_services.values()))
    ]
    clusters.append(_cluster(LOCAL_CLUSTER, f"127.0.0.1:{settings.gateway_local_grpc_port}"))
    if settings.gateway_metrics_port:
        clusters.append(
            _cluster(ADMIN_CLUSTER, f"127.0.0.1:{settings.envoy_admin_port}", http2=False)
        )
    return {
        # Needed by the key filter's discovered configuration; names this gateway.
        "node": {"id": "gateway", "cluster": "expert-music-ai"},
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
        "admin": {"address": _socket_address("127.0.0.1", settings.envoy_admin_port)},
        "static_resources": {"listeners": listeners, "clusters": clusters},
    }
