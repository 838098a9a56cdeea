"""Consents: what each user agreed to (voice recording, AI analysis, marketing, terms), kept as an
append-only history whose latest row per kind is the user's answer. Its own small domain because
both users (the consent endpoints, the GDPR export) and practice (may this call be recorded) ask
it, and users already depends on practice."""
