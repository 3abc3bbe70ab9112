"""Read models for the screens: plain dataclasses computed with SQLAlchemy core."""
