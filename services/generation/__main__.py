"""``python -m services.generation``: run the generation service."""

from services.common.server import serve
from services.generation.server import SPEC

serve(SPEC)
