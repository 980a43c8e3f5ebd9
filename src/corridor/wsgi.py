"""WSGI entry point for gunicorn: `gunicorn corridor.wsgi`."""

import os

# One BLAS thread per web process (before numpy loads): a request's matrix products are one row
# each, and on a busy machine OpenBLAS's threads fight the other workers for the cores (the HS
# guess of one request: p95 58 ms with the default threads, 10 ms with one). Parallelism comes
# from the workers. The task worker and the command line keep every thread for their batches.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from django.core.wsgi import get_wsgi_application  # noqa: E402 - after the thread setting

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
application = get_wsgi_application()
