"""Handlers: one use case each, from a parsed command to a typed result."""
