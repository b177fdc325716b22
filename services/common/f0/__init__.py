"""Frame-level f0 trackers by name ("swift", "crepe-tiny", "crepe-full").

The pitch service turns their tracks into notes; the trainer and generation read the f0
of instrument recordings and hums with them. torch is imported only by the crepe
engines, so a process that only uses "swift" never loads it.
"""
