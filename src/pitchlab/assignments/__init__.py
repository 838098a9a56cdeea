"""Assignments: an admin asks reps to practise a scenario by a date, to a target score."""
