"""Custom fields admins define on tickets: definitions (definitions.py) and the values
tickets carry (values.py, an indexed EAV table)."""
