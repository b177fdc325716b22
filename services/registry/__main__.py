"""``python -m services.registry``: run the registry service (models, datasets, training
jobs). The training workers run apart: ``python -m services.trainer``."""

from services.common.server import serve
from services.registry.server import SPEC

serve(SPEC)
