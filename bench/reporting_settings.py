"""Settings of the gunicorn that bench/reporting.py starts: the project's own, with the per-user
API rate limit raised so that the benchmark measures the server rather than the limit."""

from corridor.settings import *  # noqa: F403
from corridor.settings import CORRIDOR

CORRIDOR = {**CORRIDOR, "API_RATE_USER": "1000000/min"}
DEBUG = False
