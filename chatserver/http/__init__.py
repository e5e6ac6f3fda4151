"""The HTTP side: public routes (health, metrics, units, intake: :mod:`.public`),
staff sign-in (:mod:`.staff`), the web client's pages (:mod:`.pages`), JSON in
and out (:mod:`.util`) and the middleware every response passes
(:mod:`.request_log`, :mod:`.security_headers`, :mod:`.origin`)."""
