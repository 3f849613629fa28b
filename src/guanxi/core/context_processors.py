def shell(request):
    """Navigation and header data for base.html (filled in by guanxi.core.navigation)."""
    from .navigation import menu_for

    user = getattr(request, "user", None)
    return {"nav_menu": menu_for(request) if user is not None and user.is_authenticated else []}
