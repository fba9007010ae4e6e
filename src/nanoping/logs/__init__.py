"""Node and run logs on disk: size-based rotation, the node's application log, following and
downloading a log across its rotated parts.

Every log is a live file ``NAME`` plus rotated parts ``NAME.1`` (newest) .. ``NAME.N`` (oldest);
see :mod:`nanoping.logs.rotation` for the policy.
"""
