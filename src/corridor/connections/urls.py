"""URLs of the connections app."""

app_name = "connections"
urlpatterns: list = []
