"""``python -m services.studio``: run the studio service."""

from services.common.server import serve
from services.studio.server import SPEC

serve(SPEC)
