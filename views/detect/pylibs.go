package detect

import "strings"

// pythonStdlib is sys.stdlib_module_names of CPython 3.11 (public names):
// a frame whose file's top-level module is one of these is library code.
var pythonStdlib = toSet(`abc aifc argparse array ast asynchat asyncio asyncore atexit audioop base64 bdb binascii bisect
builtins bz2 cProfile calendar cgi cgitb chunk cmath cmd code codecs codeop collections colorsys compileall
concurrent configparser contextlib contextvars copy copyreg crypt csv ctypes curses dataclasses datetime dbm
decimal difflib dis distutils doctest email encodings ensurepip enum errno faulthandler fcntl filecmp
fileinput fnmatch fractions ftplib functools gc genericpath getopt getpass gettext glob graphlib grp gzip
hashlib heapq hmac html http idlelib imaplib imghdr imp importlib inspect io ipaddress itertools json keyword
lib2to3 linecache locale logging lzma mailbox mailcap marshal math mimetypes mmap modulefinder msilib msvcrt
multiprocessing netrc nis nntplib nt ntpath nturl2path numbers opcode operator optparse os ossaudiodev
pathlib pdb pickle pickletools pipes pkgutil platform plistlib poplib posix posixpath pprint profile pstats
pty pwd py_compile pyclbr pydoc pydoc_data pyexpat queue quopri random re readline reprlib resource
rlcompleter runpy sched secrets select selectors shelve shlex shutil signal site smtpd smtplib sndhdr socket
socketserver spwd sqlite3 sre_compile sre_constants sre_parse ssl stat statistics string stringprep struct
subprocess sunau symtable sys sysconfig syslog tabnanny tarfile telnetlib tempfile termios textwrap
threading time timeit tkinter token tokenize tomllib trace traceback tracemalloc tty turtle types
typing unicodedata unittest urllib uu uuid venv warnings wave weakref webbrowser wsgiref
xdrlib xml xmlrpc zipapp zipfile zipimport zlib zoneinfo _pyio _collections_abc _weakrefset`)

// pythonThirdParty are common libraries a service calls into; py-spy prints
// their files relative to site-packages ("aiohttp/client.py").
var pythonThirdParty = toSet(`aiohttp aiosignal multidict yarl frozenlist async_timeout attr attrs sqlalchemy
greenlet asyncpg psycopg2 psycopg pymysql MySQLdb aiomysql aiopg requests urllib3 certifi charset_normalizer idna
httpx httpcore h11 anyio sniffio django flask werkzeug jinja2 markupsafe fastapi starlette pydantic
pydantic_core uvicorn gunicorn uvloop redis aioredis celery kombu boto3 botocore s3transfer opentelemetry
grpc google protobuf numpy pandas orjson ujson simplejson click typing_extensions`)

func toSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// pythonTopModule is the top-level module of a Python file path as py-spy
// prints it: "asyncio/base_events.py" → asyncio, "linecache.py" → linecache.
func pythonTopModule(file string) string {
	if i := strings.LastIndex(file, "site-packages/"); i >= 0 {
		file = file[i+len("site-packages/"):]
	} else if i := strings.LastIndex(file, "dist-packages/"); i >= 0 {
		file = file[i+len("dist-packages/"):]
	}
	if i := strings.IndexByte(file, '/'); i >= 0 {
		return file[:i]
	}
	return strings.TrimSuffix(file, ".py")
}

// pythonLibraryFile tells library files (standard library, site-packages,
// known third-party packages) from the service's own.
func pythonLibraryFile(file string) bool {
	if strings.Contains(file, "site-packages/") || strings.Contains(file, "dist-packages/") ||
		strings.HasPrefix(file, "<frozen") || strings.Contains(file, "/lib/python3") {
		return true
	}
	top := pythonTopModule(file)
	return pythonStdlib[top] || pythonThirdParty[top]
}
