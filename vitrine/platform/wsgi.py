import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vitrine.platform.settings")
application = get_wsgi_application()

from vitrine.platform.checks import refuse_insecure_start  # noqa: E402  (needs the settings loaded)

refuse_insecure_start()
