"""Tickets from opening to closing: the workflow table, numbers, the thread, status,
assignment, details, SLA, feedback, bulk actions, deletion and auto-close, and what the
workspace and the customer's pages load."""
