"""The local scorer's skill rules, one module per FEEDBACK.md skill, over a shared reading of
the conversation (conversation.py), with the moments and coaching notes built from what they
detected. pitchlab.analysis.local_scorer puts them together."""
