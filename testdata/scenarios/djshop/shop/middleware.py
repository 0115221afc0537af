import logging
import time

log = logging.getLogger("shop.request")


class RequestLogMiddleware:
    """One line when a request starts and one when it ends, tagged with the
    X-Request-ID the client (or a proxy) sent."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = request.headers.get("X-Request-ID", "-")
        t0 = time.perf_counter()
        log.info("start %s %s rid=%s", request.method, request.get_full_path(), rid)
        response = self.get_response(request)
        log.info("done %s %s -> %d in %.1f ms rid=%s", request.method, request.path, response.status_code,
                 1000 * (time.perf_counter() - t0), rid)
        return response
