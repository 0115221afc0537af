"""gunicorn settings for djshop (record.sh passes the paths in the environment)."""
import os

out = os.environ.get("DJSHOP_LOG_DIR", ".")
bind = "127.0.0.1:" + os.environ.get("DJSHOP_PORT", "8000")
workers = 1
worker_class = "gthread"
threads = 4
keepalive = 5
graceful_timeout = 10
wsgi_app = "djshop.wsgi:application"
accesslog = os.path.join(out, "access.log")
errorlog = os.path.join(out, "gunicorn.log")
loglevel = "info"
# combined-like, plus the request time in microseconds and the request id
access_log_format = '%(h)s - %(u)s %(t)s "%(r)s" %(s)s %(B)s "%(a)s" %(D)s %({x-request-id}i)s'


def post_worker_init(worker):
    from wallsampler import WallSampler

    worker.wall_sampler = WallSampler(os.path.join(out, "wall.txt"), 0.005)
    worker.wall_sampler.start()


def worker_exit(server, worker):
    s = getattr(worker, "wall_sampler", None)
    if s is not None:
        worker.log.info("wall sampler: %s", s.stop())
