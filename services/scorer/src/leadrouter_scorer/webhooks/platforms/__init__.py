"""One module per platform: its payload as it arrives -> a ``Submission`` (pure functions)."""
