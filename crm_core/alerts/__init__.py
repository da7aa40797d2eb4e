"""Retention alerts: subscriptions, the churn digest, delivery claims and reps ' feedback."""
