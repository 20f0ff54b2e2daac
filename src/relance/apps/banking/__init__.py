"""Banking: statements, their lines, and the matches that turn credits into payments."""
