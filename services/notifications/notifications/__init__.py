"""Notifications: e-mail, SMS and Zalo messages to the people an event concerns, in Vietnamese or English."""
