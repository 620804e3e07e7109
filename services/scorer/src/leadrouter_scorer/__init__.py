"""Scorer service: turns campaign responses into validated, scored lead events."""
