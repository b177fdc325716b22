-- The base MusicGen versions on Replicate, exactly as the seed's models/registry.json
-- lists them. created_at is the seed document's date, 2025-10-18 00:00 UTC.
INSERT INTO models (id, name, kind, engine, version, instrument, description, status, created_at)
VALUES
    ('mdl_base_small', 'small', 'base', 'replicate',
     'meta/musicgen:b05b1dff1d8c6dc63d14b0cdb42135378dcb87f6373b0d3d341ede46e59e2b38',
     '', 'MusicGen small (300M parameters), text to music', 'ready', 1760745600),
    ('mdl_base_medium', 'medium', 'base', 'replicate',
     'meta/musicgen:7a76a8258b23fae65c5a22debb8841d1d7e816b75c2f24218cd2bd8573787906',
     '', 'MusicGen medium (1.5B parameters), text to music', 'ready', 1760745600),
    ('mdl_base_melody', 'melody', 'base', 'replicate',
     'meta/musicgen:671ac645ce5e552cc63a54a2bbff63fcf798043055d2dac5fc9e36a837eedcfb',
     '', 'MusicGen melody (1.5B parameters), text and melody to music', 'ready', 1760745600),
    ('mdl_base_large', 'large', 'base', 'replicate',
     'meta/musicgen:7be0f12c54a8d033a0fbd14418c9af98962da9a86f5ff7811f9b3b17a1c0f1fc',
     '', 'MusicGen large (3.3B parameters), text to music', 'ready', 1760745600);
