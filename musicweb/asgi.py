"""ASGI entry point: HTTP through Django, WebSockets through Channels.

get_asgi_application() runs first so that the apps are ready before any
consumer module (which imports models) is imported. Every HTTP body passes the
body limit before Django reads it (musicweb/bodylimit.py). A web process
starting here also removes the upload files that dead processes left behind.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musicweb.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from musicweb.bodylimit import BodyLimitMiddleware  # noqa: E402
from musicweb.routing import websocket_urlpatterns  # noqa: E402
from musicweb.sockets import auth_stack  # noqa: E402
from musicweb.uploadtemp import sweep_upload_folders  # noqa: E402

sweep_upload_folders()

application = ProtocolTypeRouter(
    {
        "http": BodyLimitMiddleware(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(auth_stack(URLRouter(websocket_urlpatterns))),
    }
)
