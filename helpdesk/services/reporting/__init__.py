"""Reading many tickets at once: dashboard statistics, SVG charts, CSV export and the
audit log."""
