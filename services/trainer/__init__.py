"""The trainer: worker processes that take training jobs from the catalogue's queue and
run them on their backend (``local``: a DDSP timbre model on the CPU; ``replicate``:
MusicGen fine-tuned on Replicate). It serves no port; ``python -m services.trainer``."""
