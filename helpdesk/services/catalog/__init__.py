"""Reference data admins manage (categories, teams, FAQ, canned replies, SLA targets,
settings), the defaults a new installation starts with, and reading the FAQ."""
