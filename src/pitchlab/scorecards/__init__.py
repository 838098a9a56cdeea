"""Scorecards: a company's own grading criteria (templates, CRUD, versions)."""
