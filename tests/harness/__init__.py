"""The test harness: real servers and services (Rasa, actions, review app, PostgreSQL, Redis) on loopback."""
