"""Transcript to cues: segmenting, line breaking, timing, SDH, profiles, QC, rules and conform."""
