"""What people see: Block Kit messages, terminal text and charts, rendered from results."""
