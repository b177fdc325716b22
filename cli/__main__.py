"""``python -m cli`` is ``expert-music``."""

import sys

from cli.main import main

sys.exit(main())
