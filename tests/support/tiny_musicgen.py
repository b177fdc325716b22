"""A tiny, randomly initialised MusicGen saved like a real checkpoint, for tests.

No package ships MusicGen weights, so tests build one from small configs (a 1-layer T5
text encoder, a 2-codebook EnCodec at 16 kHz, a 2-layer decoder), save it with
``save_pretrained`` beside a small T5 tokenizer, and let the real loading code read the
directory. It generates noise, quickly: the code path is what is under test.

    model_dir = save_tiny_musicgen(tmp_path / "musicgen")
"""

from __future__ import annotations

from pathlib import Path

#: The tiny EnCodec's rate, Hz (real MusicGen checkpoints run at 32 kHz).
SAMPLE_RATE_HZ = 16_000
_CODEBOOK_SIZE = 64
_WORDS = ["a", "calm", "warm", "jazz", "guitar", "piano", "lofi", "drums", "loud", "soft"]


def save_tiny_musicgen(directory: Path) -> Path:
    """Writes a tiny MusicGen and its tokenizer to ``directory``; returns it."""
    from transformers import (
        EncodecConfig,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        T5Config,
        T5Tokenizer,
    )

    # The special tokens sit just past the codebook, as in the published checkpoints.
    decoder = MusicgenDecoderConfig(
        vocab_size=_CODEBOOK_SIZE,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        ffn_dim=64,
        num_codebooks=2,
        max_position_embeddings=512,
        pad_token_id=_CODEBOOK_SIZE,
        bos_token_id=_CODEBOOK_SIZE,
    )
    decoder.decoder_start_token_id = _CODEBOOK_SIZE  # not in the typed signature
    text_encoder = T5Config(vocab_size=64, d_model=32, d_ff=64, num_layers=1, num_heads=2, d_kv=16)
    # Hop 8 * 8 = 64 samples: 250 frames per second; 6 kbps buys the two codebooks.
    audio_encoder = EncodecConfig(
        sampling_rate=SAMPLE_RATE_HZ,
        codebook_size=_CODEBOOK_SIZE,
        codebook_dim=16,
        hidden_size=16,
        num_filters=4,
        upsampling_ratios=[8, 8],
        num_residual_layers=1,
        target_bandwidths=[6.0],
    )
    config = MusicgenConfig(
        text_encoder=text_encoder.to_dict(),
        audio_encoder=audio_encoder.to_dict(),
        decoder=decoder.to_dict(),
    )
    MusicgenForConditionalGeneration(config).save_pretrained(directory)
    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    pieces += [(f"▁{word}", -1.0) for word in _WORDS]
    pieces += [(letter, -5.0) for letter in "abcdefghijklmnopqrstuvwxyz"]
    T5Tokenizer(vocab=pieces, extra_ids=0).save_pretrained(directory)
    return directory
