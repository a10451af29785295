"""Booths: floor plans, provincial quotas, allocation, claims, waitlist offers, overrides, livestream slots."""
