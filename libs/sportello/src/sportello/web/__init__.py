"""Shared pieces of the server-rendered apps (storefront, back office): one copy, imported by both."""
