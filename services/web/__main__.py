"""``python -m services.web``: run the service that serves the web studio's files."""

from services.common.server import serve
from services.web.server import SPEC

serve(SPEC)
