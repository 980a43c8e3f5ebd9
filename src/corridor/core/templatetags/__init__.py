"""Template tag libraries shared by every app."""
