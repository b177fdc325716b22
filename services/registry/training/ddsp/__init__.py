"""A DDSP timbre model (Engel et al., 2020) trained on the CPU from minutes of one
monophonic instrument, and played from notes or a hum.

- ``features``: f0 (the pitch engine) and A-weighted loudness per frame.
- ``synth``: differentiable harmonic and filtered-noise synthesizers (pure torch).
- ``model``: the decoder, f0 + loudness -> synthesizer controls -> audio.
- ``loss``: the multi-scale spectral loss.
- ``data``: a prepared dataset's recordings, analysed, and random training crops.
- ``train``: the training loop and ``DdspBackend``, the job queue's "local" backend.
- ``checkpoint``: a trained model as one file.
- ``render``: notes, a hum or control curves in, audio out.
"""
