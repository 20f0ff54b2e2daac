"""The collector's workspace: access (users, roles, creditor grants) and the pages people work in."""
