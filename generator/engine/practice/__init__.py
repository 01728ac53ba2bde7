"""Practice pieces: melodies written by a CNN on piano rolls, engraved and rendered."""
