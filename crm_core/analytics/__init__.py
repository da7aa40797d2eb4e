"""Customer analytics: CLV, churn, retention, NPS and segments, computed in the database."""
