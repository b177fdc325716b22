"""``python -m services.common.healthcheck NAME``: exit 0 when the service NAME on this
machine answers gRPC health with SERVING, 1 otherwise (Docker's HEALTHCHECK and
compose's ``healthcheck`` run it; Kubernetes probes gRPC natively)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import grpc

from services.common.clients import check_health
from services.common.settings import SERVICE_PORTS, get_settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.common.healthcheck", description=__doc__.splitlines()[0]
    )
    parser.add_argument("service", choices=sorted(SERVICE_PORTS))
    parser.add_argument("--timeout-s", type=float, default=2.0)
    args = parser.parse_args(argv)
    port = get_settings().port_of(args.service)
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        report = check_health(channel, timeout_s=args.timeout_s)
    if not report.serving:
        print(f"{args.service}: {report.status} {report.detail}", file=sys.stderr)
    return 0 if report.serving else 1


if __name__ == "__main__":
    sys.exit(main())
