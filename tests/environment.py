"""Values the tests give the processes they start."""

# Long and not a known placeholder, as settings demand (scripts/run-tests sets the same).
TEST_SECRET_KEY = "relance-tests-only-secret-key-never-in-production"
