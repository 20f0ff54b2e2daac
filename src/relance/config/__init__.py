"""Django settings, URLs, WSGI and the task-queue wiring. Configuration comes from the environment."""
