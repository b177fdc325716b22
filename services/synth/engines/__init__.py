"""What makes a voice's sound, one module per engine.

- :mod:`.piper` (local, offline): the piper voice ``joe`` speaks, WORLD sings
  (:mod:`services.synth.singing`), with formant shifts for its variants;
- :mod:`.festival` (local, offline): Festival's ``kal`` and ``slt`` speak, WORLD sings;
- :mod:`.replicate`: Bark and MusicGen (melody) on Replicate, through the mesh's one
  Replicate client.

``services.synth.voices`` names the voices and which engine makes each.
"""
