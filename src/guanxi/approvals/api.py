def register(router):
    """Adds this app's viewsets to the API router."""
