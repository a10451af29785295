"""Meetings: B2B matchmaking between suppliers and foreign buyers, and the timetable of their meetings."""
