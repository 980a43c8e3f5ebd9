"""Corridor: the business database, matching and events platform of the Mekong corridor."""

__version__ = "0.1.0"
