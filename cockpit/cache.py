"""flask-caching, keyed by the data generation so a new build never serves stale answers."""
from flask_caching import Cache

cache = Cache()


def init_cache(server, settings) -> None:
    cache.init_app(server, config={"CACHE_TYPE": "SimpleCache",
                                   "CACHE_DEFAULT_TIMEOUT": settings.cache_seconds})
