"""Django format modules for the languages Django ships none for (Lao, Burmese).

Without them Django formats dates in those languages the English way ("Dec. 5, 2026"). Dates
are numeric as in CLDR's short date (d/M/y): Django's own month names exist in no Lao or
Burmese catalogue, so a pattern with month names would still print English words.
"""
