"""Scores that travel: a take's melody and words as MIDI, MusicXML and OpenUtau files.

One module per format (``midi``, ``musicxml``, ``ustx``), the grid and syllable layout they
share (``layout``), and :func:`services.common.scores.export.export_score` to pick one by
name. Importing a single format module loads only its own library (music21 takes ~0.7 s).
"""
