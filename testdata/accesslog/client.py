"""The request mix every recorded server gets, and the client that sends it.

    python3 client.py gen > requests.tsv     the ground truth (fixed seed)
    python3 client.py send BASE_URL < requests.tsv

requests.tsv has one request per line: method, path as sent (query
included), the route it was generated from (its ground-truth template),
the status the shop answers, the X-Request-ID header sent, and the
User-Agent sent. The client sends them one after another and fails if a
status differs.
"""
import random
import sys
import urllib.error
import urllib.request
import uuid

AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "curl/7.88.1",
    'probe "quoted" [x]; 1;2;3 9',
]


def gen():
    rnd = random.Random(20261201)
    reqs = []

    def add(method, path, route, status):
        reqs.append((method, path, route, status))

    for _ in range(12):
        add("GET", "/orders/%d" % rnd.randint(1, 99999), "/orders/{id}", 200)
    for _ in range(2):
        add("GET", "/orders/%d?expand=items" % rnd.randint(1, 999), "/orders/{id}", 200)
    for _ in range(5):
        add("GET", "/orders", "/orders", 200)
    for _ in range(4):
        add("POST", "/orders", "/orders", 201)
    for _ in range(6):
        add("GET", "/users/%s/profile" % uuid.UUID(int=rnd.getrandbits(128), version=4), "/users/{uuid}/profile", 200)
    for _ in range(5):
        add("GET", "/files/%040x" % rnd.getrandbits(160), "/files/{hash}", 200)
    for sku in ["sku_48213", "x7k2m9q4", "ord-20240917", "a1b2c3d4e5", "sku_99120", "q9w8e7r6"]:
        add("GET", "/items/" + sku, "/items/{id}", 200)
    for q in ["shoes", "red+shoes", "bag", "hat%20x", "", "socks"]:
        add("GET", "/search?q=%s&page=%d" % (q, rnd.randint(1, 5)), "/search", 200)
    for _ in range(4):
        add("GET", "/slow/%d" % rnd.randint(1, 999), "/slow/{id}", 200)
    for _ in range(3):
        add("GET", "/error", "/error", 500)
    for _ in range(4):
        add("GET", "/nope/%d" % rnd.randint(1, 999), "/nope/{id}", 404)
    rnd.shuffle(reqs)
    print("method\tpath\troute\tstatus\trequest_id\tuser_agent")
    for i, (m, p, r, s) in enumerate(reqs):
        rid = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        print("\t".join([m, p, r, str(s), rid, AGENTS[i % len(AGENTS)]]))


def send(base):
    lines = sys.stdin.read().splitlines()[1:]
    bad = 0
    for l in lines:
        m, p, _, s, rid, ua = l.split("\t")
        data = b'{"item": 1}' if m == "POST" else None
        req = urllib.request.Request(base + p, data=data, method=m, headers={
            "X-Request-ID": rid, "User-Agent": ua, "Referer": base + "/orders"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                got = resp.status
                resp.read()
        except urllib.error.HTTPError as e:
            got = e.code
            e.read()
        if got != int(s):
            print("%s %s: status %d, want %s" % (m, p, got, s), file=sys.stderr)
            bad += 1
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen()
    else:
        send(sys.argv[2])
