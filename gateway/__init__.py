"""The REST + gRPC gateway: Envoy with the gRPC-JSON transcoder, configured from settings."""
