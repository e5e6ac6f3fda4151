"""Who may do what, and how staff prove who they are.

* :mod:`.policy`: roles and the pure authorisation checks every route and
  socket action asks;
* :mod:`.signin`: sign-in policy (throttling, lockout, audit of sign-ins);
* :mod:`.sessions`: server-side sessions and the second factor;
* :mod:`.passwords`: argon2id hashes.
"""
