"""The floor of the API benchmark (``bench.api``): bare DRF endpoints served beside the product.

``bench.floor.settings`` extends the production settings and mounts ``bench.floor.urls`` (the floor's
endpoints, then every URL of the product), so the floor and the product run in one gunicorn with the same
middleware, authentication (``BearerTokenAuthentication``: the token looked up by its digest), parser, renderer,
throttle and exception handler. Only the work behind the view differs: the read floor reads one order row, the
write floor updates one order row in a transaction, each through a plain ``serializers.Serializer``.
"""
