"""Raft: reliable real-time streams over lossy, bonded carriers (sans-IO core and its parts).

The core (:class:`~nanoping.raft.endpoint.RaftEndpoint`) takes application packets per stream,
datagrams per carrier and the current time, and gives back datagrams per carrier, delivered
packets per stream, events and its next deadline. It never touches a socket, task or clock.
"""
