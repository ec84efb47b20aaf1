"""Strong language: registry word lists with severity tiers, the report, masked subtitles, clean audio."""
