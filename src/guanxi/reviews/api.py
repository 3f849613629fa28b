def register(router) -> None:
    """Adds this app's API viewsets to the project router."""
