"""A DDSP timbre model (Engel et al., 2020): what the trainer trains and generation plays.

- ``features``: f0 (an engine of ``services.common.f0``) and A-weighted loudness per frame.
- ``synth``: differentiable harmonic and filtered-noise synthesizers (pure torch).
- ``model``: the decoder, f0 + loudness -> synthesizer controls -> audio.
- ``checkpoint``: a trained model as one file.
- ``render``: notes, a hum or control curves in, audio out.

The training loop, its loss and its data live in ``services.trainer.ddsp``.
"""
