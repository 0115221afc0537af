# gunicorn settings of the application-log recorder: one gthread worker
# (two threads), logging through workload.py's layout into the same file.
import os

import workload

bind = "127.0.0.1:" + os.environ["APPLOG_GPORT"]
workers = 1
worker_class = "gthread"
threads = 2
logconfig_dict = workload.dict_config(os.environ["APPLOG_LAYOUT"], os.environ["APPLOG_OUT"], os.environ["APPLOG_TRUTH"])
