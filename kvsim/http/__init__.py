"""The HTTP layer: the rest-json wire protocol of the five services
(:mod:`kvsim.http.rest`) and ``kvsim serve`` (:mod:`kvsim.http.server`)."""
