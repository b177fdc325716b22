"""``python -m services.pitch``: run the pitch service."""

from services.common.server import serve
from services.pitch.server import SPEC

serve(SPEC)
