"""The domain: plain functions that take models and an actor, enforce the rules, record
audit events, notify, and raise domain errors (errors.py). Grouped by subject:
tickets/, people/, files/, queue/, reporting/, catalog/; every write goes through
unit_of_work.py."""
