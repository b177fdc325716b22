"""``python -m services.trainer``: run one training worker until SIGTERM or SIGINT."""

from services.trainer.worker import main

main()
