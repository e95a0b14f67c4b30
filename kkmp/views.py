from django.shortcuts import render


def server_error(request):
    """The 500 page: friendly, no traceback, with the request id to quote to the administrator."""
    return render(request, "500.html", {"request_id": getattr(request, "id", "")}, status=500)
