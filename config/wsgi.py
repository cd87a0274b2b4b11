import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Missing production settings (SECRET_KEY, ALLOWED_HOSTS): refuse to serve at all.
from core.checks import refuse_misconfiguration  # noqa: E402

refuse_misconfiguration()

# Temporary files (large uploads, openpyxl's sheets) hold personal data: under PRIVATE_ROOT.
from exports.files import use_private_tempdir  # noqa: E402

use_private_tempdir()
