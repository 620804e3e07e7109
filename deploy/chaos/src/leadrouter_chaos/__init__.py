"""The chaos suite (``make chaos``): the real processes under steady load, faults at
seeded random moments, and a set checker over what every party saw (docs/reliability.md)."""
