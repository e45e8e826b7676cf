"""A minimal Django project running django-helpdesk's mail ingestion, for the side-by-side benchmark."""
