"""Optional integrations that need extra packages (``pip install 'microflask[redis]'``).

Nothing here is imported by ``microflask`` itself: import the integration you use, for
example ``from microflask.contrib.redis import RedisSessionInterface``.
"""
