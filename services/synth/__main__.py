"""``python -m services.synth``: run the synth service."""

from services.common.server import serve
from services.synth.server import SPEC

serve(SPEC)
