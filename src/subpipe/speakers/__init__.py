"""Who speaks: diarization (embed, change points, cluster) and speaker naming."""
