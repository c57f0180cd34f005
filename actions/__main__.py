"""`python -m actions`: the action server, on 127.0.0.1 unless told otherwise, leaking nothing on errors.

rasa-sdk's own server (`rasa run actions`) binds to 0.0.0.0 and answers an exception with a 500 whose
body echoes the request: the whole tracker, patients' messages included. This one uses the same
rasa-sdk app with a handler that logs the error and answers without any request content, and, when
ACTION_SERVER_TOKEN is set, refuses webhook calls that do not send it (endpoints.yml sends it).
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import warnings

from sanic import response
from sanic.exceptions import SanicException

logger = logging.getLogger("actions")


def build_app(token: str | None):
    """The rasa-sdk action server app for the `actions` package, hardened."""
    from rasa_sdk.endpoint import create_app  # after main() has set the warning filters

    app = create_app("actions", cors_origins=None)

    @app.exception(Exception)
    async def answer_without_request_content(request, exception):
        if isinstance(exception, SanicException) and exception.status_code < 500:
            return response.json({"error": "Bad request."}, status=exception.status_code)
        logger.exception("Action server error on %s", request.path, exc_info=exception)
        return response.json({"error": "The action server could not run this action."}, status=500)

    @app.middleware("request")
    async def require_token(request):
        if not token or request.path != "/webhook":
            return None
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(sent.encode(), token.encode()):
            return response.json({"error": "Missing or wrong action server token."}, status=401)
        return None

    return app


def main() -> None:
    """Parses the command line and runs the server."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("ACTION_SERVER_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTION_SERVER_PORT", "5055")))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("rasa_sdk.executor").setLevel(logging.WARNING)  # a line per action registered
    # Sanic switches every deprecation warning on; rasa-sdk's sanic_cors still uses distutils' versions
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="sanic_cors")
    app = build_app(os.environ.get("ACTION_SERVER_TOKEN") or None)
    app.run(host=args.host, port=args.port, access_log=False)


if __name__ == "__main__":
    main()
