"""Recordings of real calls: uploaded audio or meeting transcripts, scored like practice calls."""
