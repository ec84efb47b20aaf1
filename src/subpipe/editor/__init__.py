"""Review and correct (issue 28): a person fixes what the machine got wrong, and every output follows.

``edits``: the edit operations on a transcript's cues (text, in, out, speaker, split, merge), the edited words
re-timed against their span of audio with the aligner, and the edit log (before, after, when; revertable).
``session``: one transcript on disk with its media, subtitle files and quote index: load (with a content hash),
save (atomic; a stale save is refused), the waveform peaks. ``web``: the review page over a session (Starlette,
the quote page's Host/Origin protections). The stage sits after ``jobs`` (it makes subtitles the pipeline's way)
and before ``api``.
"""
