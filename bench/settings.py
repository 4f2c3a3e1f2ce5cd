"""Settings of the load benchmark: the site's own, plus the ceiling views of bench/urls.py.

Production behaviour still comes from the environment, as in a deployment;
bench/run.py sets it. The public site's URLs never include the ceilings.
"""

from pathlib import Path

from alliance.project.settings import *  # noqa: F403
from alliance.project.settings import DATABASES, TEMPLATES, env

BENCH_DIR = Path(__file__).resolve().parent

ROOT_URLCONF = "bench.urls"

# The ceiling's template lives with the benchmark, not in the site's templates.
TEMPLATES = [
    {**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BENCH_DIR / "templates"]},
    *TEMPLATES[1:],
]

# A name on the server's database connections, so that the benchmark can find
# their backends in pg_stat_activity and count the database's CPU time too.
DATABASES = {
    **DATABASES,
    "default": {
        **DATABASES["default"],
        "OPTIONS": {
            **DATABASES["default"].get("OPTIONS", {}),
            "application_name": env.str(
                "BENCH_APPLICATION_NAME", default="alliance-bench"
            ),
        },
    },
}
