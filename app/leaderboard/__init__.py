"""leaderboard context."""
