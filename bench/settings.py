"""The benchmark's server settings: production's, with the bench URLconf (bench/urls.py),
which adds the floor page. Only `bench.run` starts gunicorn with these
(DJANGO_SETTINGS_MODULE=bench.settings); production never loads them."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
