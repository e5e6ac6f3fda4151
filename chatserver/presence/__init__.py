"""Who is connected and since when they are gone (:mod:`.local`), shared
across instances through Redis when scaled out (:mod:`.redis_shared`); the
wiring (:mod:`chatserver.app`) chooses."""
