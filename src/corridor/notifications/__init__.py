"""Notifications: queued, deduplicated messages in the recipient's language, and the in-app list.

Other apps register their kinds (`kinds.register`) and call `services.notify`.
"""
