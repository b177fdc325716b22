"""Training a DDSP timbre model (``services.common.timbre``) on the CPU from minutes of
one monophonic instrument: the job queue's "local" backend.

- ``data``: a prepared dataset's recordings, analysed, and random training crops.
- ``loss``: the multi-scale spectral loss.
- ``train``: the training loop and ``DdspBackend``.
"""
