import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()

# Missing production settings (SECRET_KEY, ALLOWED_HOSTS): refuse to serve at all.
from core.checks import refuse_misconfiguration  # noqa: E402

refuse_misconfiguration()
