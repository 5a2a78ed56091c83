"""The web dashboard under ``/dashboard``."""
