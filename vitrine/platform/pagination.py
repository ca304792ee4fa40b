from rest_framework.pagination import CursorPagination


class NewestFirstPagination(CursorPagination):
    """Stable cursor pages over ever-growing tables, newest rows first."""

    ordering = "-id"
    page_size = 50
