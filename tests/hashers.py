from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with a tiny cost, for tests only: the production cost takes about a second
    per hash on a small machine, and every test user and login attempt hashes."""

    time_cost = 1
    memory_cost = 64
    parallelism = 1
