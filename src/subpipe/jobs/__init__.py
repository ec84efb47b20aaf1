"""Running work: one media file stage by stage (pipeline), many files (batch), Ray (raysplit)."""
