"""The project's own library: what every ketnoi service needs the same way.

Nothing here knows about editions, booths or meetings; domain rules live in
each service's ``domain`` package.
"""
