"""Reference data shared by every service (read-only, packaged with the code)."""
