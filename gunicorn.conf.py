# gunicorn's configuration for ogi-api: the settings live in the package (api/gunicorn_conf.py),
# read from the environment, so that `ogi serve`, the Dockerfile and this file agree.
from api.gunicorn_conf import *  # noqa: F403
