"""``python -m services.lyrics``: run the lyrics service."""

from services.common.server import serve
from services.lyrics.server import SPEC

serve(SPEC)
