"""People: accounts and sign-in, the admins' decisions about agents, customers and
teams, and the directory of who is staff."""
