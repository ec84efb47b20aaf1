"""Speech to words: verified models, the engine interface, short-file and batched long-file decoding."""
