"""Template context for every page: links to the current page in the other languages. (What the
menu offers a user comes from the apps that decide it: `imports.context_processors`.)"""

from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language


def language_links(request):
    """Links to the current page in the other languages (`/anggota/` ↔ `/en/anggota/`).

    The language is part of the URL (i18n_patterns), so switching is a plain link that keeps
    the page and its query string; no cookie or POST is needed.
    """
    current = get_language()
    path = request.get_full_path()
    return {
        "language_links": [
            (code, name, translate_url(path, code))
            for code, name in settings.LANGUAGES
            if code != current
        ]
    }
