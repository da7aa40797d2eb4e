"""The Slack app (Bolt): listeners, HTTP server and Socket Mode runner, alert scheduler."""
