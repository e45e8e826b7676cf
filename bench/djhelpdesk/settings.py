"""Django settings for timing django-helpdesk's ingestion: SQLite, no mail sent, files under bench/.work."""

import os

WORK = os.environ["BENCH_DH_WORK"]
SECRET_KEY = "bench-only"
DEBUG = False
USE_TZ = True
SITE_ID = 1
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
    "django.contrib.messages", "django.contrib.staticfiles", "django.contrib.sites", "django.contrib.humanize",
    "rest_framework", "account", "pinax.invitations", "pinax.teams", "helpdesk",
]
MIDDLEWARE = []
ROOT_URLCONF = "bench.djhelpdesk.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(WORK, "helpdesk.sqlite3")}}
MEDIA_ROOT = os.path.join(WORK, "media")
STATIC_URL = "/static/"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@school.example"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
              "OPTIONS": {"context_processors": ["django.contrib.auth.context_processors.auth",
                                                 "django.contrib.messages.context_processors.messages"]}}]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
