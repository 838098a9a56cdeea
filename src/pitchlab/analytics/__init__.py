"""Analytics: a rep's progress, the team table and the leaderboard, read from stored metrics."""
