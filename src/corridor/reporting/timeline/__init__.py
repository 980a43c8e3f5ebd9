"""Order timelines: the steps an order goes through between supplier and buyer (issue #14).

A separate app of the reporting domain because it is keyed to `followup.models.Order`: add
"corridor.reporting.timeline" to INSTALLED_APPS once the follow-up app is installed, then
`corridor makemigrations timeline`. Until then nothing here is loaded.
"""
