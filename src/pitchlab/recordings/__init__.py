"""Real calls uploaded for feedback: an audio recording (transcribed by a speech-to-text
provider) or a meeting transcript (WebVTT/SRT with speaker names). Once the rep's speaker is
known, a recording becomes a call of mode ``recording``, scored by the same feedback worker as a
practice call and listed beside them in history and analytics."""
