"""``expert-music``: the command line client of a running mesh (REST through Envoy)."""
