"""Uploaded photos, kept a while so a link can name one."""
