"""Audio in: the ffmpeg adapter (media), PCM by window and VAD (source), separation, music events."""
