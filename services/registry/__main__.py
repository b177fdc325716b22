"""``python -m services.registry``: run the registry service (the training workers run
separately: ``python -m services.registry.worker``)."""

from services.common.server import serve
from services.registry.server import SPEC

serve(SPEC)
