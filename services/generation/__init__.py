"""The generation service: music from the registry's models (a trained instrument plays a
melody; MusicGen on Replicate or on this machine makes music from a prompt)."""
