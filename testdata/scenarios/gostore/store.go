package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	rtrace "runtime/trace"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// store is the API. Each planted problem sits in one handler (marked
// PLANTED) with a healthy twin right after it.
type store struct {
	db         *sql.DB // the process's pool (database/sql)
	dsn        string
	carrierURL string
	carrierCA  *x509.CertPool
	shipping   *http.Client // one client for the process: keep-alive TLS connections

	settings settingsCache

	journalMu  sync.Mutex
	journalBuf []journalEntry

	vectors [][]float32 // product embeddings for /recommend
}

type handler func(s *store, w http.ResponseWriter, r *http.Request) error

func reply(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(v)
}

// ------------------------------------------------------------------ n_plus_one

type cartLine struct {
	SKU        string `json:"sku"`
	Qty        int    `json:"qty"`
	Title      string `json:"title"`
	PriceCents int    `json:"price_cents"`
}

func (s *store) cartNPlusOne(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rows, err := s.db.QueryContext(ctx, "select sku, qty from cart_items where cart_id = $1 order by line", r.URL.Query().Get("id"))
	if err != nil {
		return err
	}
	var lines []cartLine
	for rows.Next() {
		var l cartLine
		if err := rows.Scan(&l.SKU, &l.Qty); err != nil {
			rows.Close()
			return err
		}
		lines = append(lines, l)
	}
	rows.Close()
	for i := range lines {
		// PLANTED n_plus_one: one product lookup per cart line
		err := s.db.QueryRowContext(ctx, "select title, price_cents from products where sku = $1", lines[i].SKU).Scan(&lines[i].Title, &lines[i].PriceCents)
		if err != nil {
			return err
		}
	}
	return reply(w, lines)
}

func (s *store) cartJoined(w http.ResponseWriter, r *http.Request) error {
	rows, err := s.db.QueryContext(r.Context(), `select ci.sku, ci.qty, p.title, p.price_cents
		from cart_items ci join products p on p.sku = ci.sku
		where ci.cart_id = $1 order by ci.line`, r.URL.Query().Get("id"))
	if err != nil {
		return err
	}
	defer rows.Close()
	var lines []cartLine
	for rows.Next() {
		var l cartLine
		if err := rows.Scan(&l.SKU, &l.Qty, &l.Title, &l.PriceCents); err != nil {
			return err
		}
		lines = append(lines, l)
	}
	return reply(w, lines)
}

// ------------------------------------------------------------------ slow_query

func (s *store) merchantReportScan(w http.ResponseWriter, r *http.Request) error {
	var n, cents int64
	// PLANTED slow_query: payments.merchant_ref has no index (a sequential scan of the whole table)
	err := s.db.QueryRowContext(r.Context(), "select count(*), coalesce(sum(amount_cents), 0) from payments where merchant_ref = $1",
		r.URL.Query().Get("ref")).Scan(&n, &cents)
	if err != nil {
		return err
	}
	return reply(w, map[string]int64{"payments": n, "cents": cents})
}

func (s *store) merchantReportIndexed(w http.ResponseWriter, r *http.Request) error {
	var n, cents int64
	err := s.db.QueryRowContext(r.Context(), "select count(*), coalesce(sum(amount_cents), 0) from payments where merchant_id = $1",
		r.URL.Query().Get("id")).Scan(&n, &cents)
	if err != nil {
		return err
	}
	return reply(w, map[string]int64{"payments": n, "cents": cents})
}

// ----------------------------------------------------------- http_client_churn

var carrierNames = []string{"acme-freight", "globex-post"}

type quote struct {
	Carrier string  `json:"carrier"`
	Price   float64 `json:"price"`
	Days    int     `json:"days"`
}

func (s *store) quoteRequest(ctx context.Context, carrier string, grams int) (*http.Request, error) {
	return http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/v1/quote?carrier=%s&grams=%d", s.carrierURL, carrier, grams), nil)
}

func decodeQuote(resp *http.Response) (quote, error) {
	defer resp.Body.Close()
	var q quote
	if resp.StatusCode != http.StatusOK {
		return q, fmt.Errorf("carrier: %s", resp.Status)
	}
	return q, json.NewDecoder(resp.Body).Decode(&q)
}

func (s *store) quoteCarrierShared(ctx context.Context, carrier string, grams int) (quote, error) {
	req, err := s.quoteRequest(ctx, carrier, grams)
	if err != nil {
		return quote{}, err
	}
	resp, err := s.shipping.Do(req)
	if err != nil {
		return quote{}, err
	}
	return decodeQuote(resp)
}

func (s *store) shippingNewTransport(w http.ResponseWriter, r *http.Request) error {
	grams, _ := strconv.Atoi(r.URL.Query().Get("grams"))
	var out []quote
	for _, c := range carrierNames {
		req, err := s.quoteRequest(r.Context(), c, grams)
		if err != nil {
			return err
		}
		// PLANTED http_client_churn: a new Transport (new TCP + TLS connection) per call, never closed
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.carrierCA}}
		client := &http.Client{Transport: otelhttp.NewTransport(tr, otelhttp.WithClientTrace(eventTrace)), Timeout: 10 * time.Second}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		q, err := decodeQuote(resp)
		if err != nil {
			return err
		}
		out = append(out, q)
	}
	return reply(w, out)
}

func (s *store) shippingShared(w http.ResponseWriter, r *http.Request) error {
	grams, _ := strconv.Atoi(r.URL.Query().Get("grams"))
	var out []quote
	for _, c := range carrierNames {
		q, err := s.quoteCarrierShared(r.Context(), c, grams)
		if err != nil {
			return err
		}
		out = append(out, q)
	}
	return reply(w, out)
}

// ---------------------------------------------------------- no_connection_pool

type stockRow struct {
	Warehouse string `json:"warehouse"`
	Qty       int    `json:"qty"`
}

func scanStock(rows *sql.Rows) ([]stockRow, error) {
	defer rows.Close()
	var out []stockRow
	for rows.Next() {
		var x stockRow
		if err := rows.Scan(&x.Warehouse, &x.Qty); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

func (s *store) stockOpenPerRequest(w http.ResponseWriter, r *http.Request) error {
	db, err := openDB(s.dsn) // PLANTED no_connection_pool: a new *sql.DB, so a new server connection, per request
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(r.Context(), "select warehouse, qty from stock where sku = $1 order by warehouse", r.URL.Query().Get("sku"))
	if err != nil {
		return err
	}
	out, err := scanStock(rows)
	if err != nil {
		return err
	}
	return reply(w, out)
}

func (s *store) stockPooled(w http.ResponseWriter, r *http.Request) error {
	rows, err := s.db.QueryContext(r.Context(), "select warehouse, qty from stock where sku = $1 order by warehouse", r.URL.Query().Get("sku"))
	if err != nil {
		return err
	}
	out, err := scanStock(rows)
	if err != nil {
		return err
	}
	return reply(w, out)
}

// --------------------------------------------------------- cacheable_duplicate

type priced struct {
	SKU   string  `json:"sku"`
	Title string  `json:"title"`
	Gross float64 `json:"gross"`
}

func (s *store) priceList(ctx context.Context, page int, vat float64) ([]priced, error) {
	rows, err := s.db.QueryContext(ctx, "select sku, title, price_cents from products order by sku limit 10 offset $1", page*10)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []priced
	for rows.Next() {
		var p priced
		var cents int
		if err := rows.Scan(&p.SKU, &p.Title, &cents); err != nil {
			return nil, err
		}
		p.Gross = math.Round(float64(cents)*(1+vat/100)) / 100
		out = append(out, p)
	}
	return out, rows.Err()
}

func (s *store) pricesReadSettings(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var vat float64
	// PLANTED cacheable_duplicate: the same settings row, read again by every request
	if err := s.db.QueryRowContext(ctx, "select value::float8 from settings where name = $1", "vat_percent").Scan(&vat); err != nil {
		return err
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	out, err := s.priceList(ctx, page, vat)
	if err != nil {
		return err
	}
	return reply(w, out)
}

// settingsCache keeps the VAT rate for ten minutes.
type settingsCache struct {
	mu      sync.Mutex
	vat     float64
	fetched time.Time
}

func (s *store) vatPercent(ctx context.Context) (float64, error) {
	c := &s.settings
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.fetched) < 10*time.Minute {
		return c.vat, nil
	}
	if err := s.db.QueryRowContext(ctx, "select value::float8 from settings where name = $1", "vat_percent").Scan(&c.vat); err != nil {
		return 0, err
	}
	c.fetched = time.Now()
	return c.vat, nil
}

func (s *store) pricesCachedSettings(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	vat, err := s.vatPercent(ctx)
	if err != nil {
		return err
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	out, err := s.priceList(ctx, page, vat)
	if err != nil {
		return err
	}
	return reply(w, out)
}

// ----------------------------------------------------------------- cpu_hotspot

// cosineRank scores every candidate embedding against q, passes times
// (each pass re-weights q by the previous winners), and returns the top k.
func cosineRank(cands [][]float32, q []float32, passes, k int) []int {
	scores := make([]float64, len(cands))
	idx := make([]int, len(cands))
	w := append([]float32(nil), q...)
	for p := 0; p < passes; p++ {
		for i, c := range cands { // PLANTED cpu_hotspot: every candidate, every pass
			var dot, nc, nq float64
			for j := range c {
				dot += float64(c[j] * w[j])
				nc += float64(c[j] * c[j])
				nq += float64(w[j] * w[j])
			}
			scores[i] = dot / (math.Sqrt(nc*nq) + 1e-9)
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
		for j := range w {
			w[j] = 0.8*w[j] + 0.2*cands[idx[0]][j]
		}
	}
	return idx[:k]
}

func (s *store) queryVector(seed int) []float32 {
	v := make([]float32, len(s.vectors[0]))
	for j := range v {
		v[j] = s.vectors[seed%len(s.vectors)][j] + s.vectors[(seed*7+3)%len(s.vectors)][j]
	}
	return v
}

func (s *store) recommendHeavy(w http.ResponseWriter, r *http.Request) error {
	seed, _ := strconv.Atoi(r.URL.Query().Get("cart"))
	return reply(w, cosineRank(s.vectors, s.queryVector(seed), 20, 10))
}

func (s *store) recommendLight(w http.ResponseWriter, r *http.Request) error {
	seed, _ := strconv.Atoi(r.URL.Query().Get("cart"))
	start := (seed * 37) % (len(s.vectors) - 60)
	return reply(w, cosineRank(s.vectors[start:start+60], s.queryVector(seed), 1, 10))
}

// ------------------------------------------------------------- lock_contention

type journalEntry struct {
	Cart  int    `json:"cart"`
	Event string `json:"event"`
}

func (s *store) postLedger(ctx context.Context, es []journalEntry) error {
	b, _ := json.Marshal(es)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.carrierURL+"/v1/ledger", strings.NewReader(string(b)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.shipping.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

func (s *store) journalLocked(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	cart, _ := strconv.Atoi(r.URL.Query().Get("cart"))
	e := journalEntry{cart, "viewed"}
	s.journalMu.Lock() // PLANTED lock_contention: one process-wide mutex held across a database insert and a ledger call
	defer s.journalMu.Unlock()
	region := rtrace.StartRegion(ctx, "journal.locked")
	defer region.End()
	if _, err := s.db.ExecContext(ctx, "insert into journal (cart_id, event, at) values ($1, $2, now())", e.Cart, e.Event); err != nil {
		return err
	}
	if err := s.postLedger(ctx, []journalEntry{e}); err != nil {
		return err
	}
	return reply(w, map[string]bool{"ok": true})
}

func (s *store) journalBuffered(w http.ResponseWriter, r *http.Request) error {
	cart, _ := strconv.Atoi(r.URL.Query().Get("cart"))
	s.journalMu.Lock()
	s.journalBuf = append(s.journalBuf, journalEntry{cart, "viewed"})
	s.journalMu.Unlock()
	return reply(w, map[string]bool{"ok": true})
}

// journalFlusher is the buffered twin's writer: every 50 ms one multi-row
// insert and one ledger call for what accumulated, no lock held meanwhile.
func (s *store) journalFlusher(ctx context.Context) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.journalMu.Lock()
		batch := s.journalBuf
		s.journalBuf = nil
		s.journalMu.Unlock()
		if len(batch) == 0 {
			continue
		}
		s.flushJournal(ctx, batch)
	}
}

func (s *store) flushJournal(ctx context.Context, batch []journalEntry) {
	ctx, span := otel.Tracer("gostore").Start(ctx, "journal.flush", trace.WithAttributes(attribute.Int("journal.entries", len(batch))))
	defer span.End()
	var q strings.Builder
	args := make([]any, 0, 2*len(batch))
	q.WriteString("insert into journal (cart_id, event, at) values ")
	for i, e := range batch {
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "($%d, $%d, now())", 2*i+1, 2*i+2)
		args = append(args, e.Cart, e.Event)
	}
	if _, err := s.db.ExecContext(ctx, q.String(), args...); err != nil {
		fmt.Println("journal flush:", err)
	}
	if err := s.postLedger(ctx, batch); err != nil {
		fmt.Println("ledger flush:", err)
	}
}

// routes: pattern → handler, planted first, twin second.
var routes = []struct {
	pattern string
	h       handler
}{
	{"GET /cart", (*store).cartNPlusOne}, {"GET /cart/joined", (*store).cartJoined},
	{"GET /reports/merchant", (*store).merchantReportScan}, {"GET /reports/merchant/indexed", (*store).merchantReportIndexed},
	{"GET /shipping", (*store).shippingNewTransport}, {"GET /shipping/shared", (*store).shippingShared},
	{"GET /stock", (*store).stockOpenPerRequest}, {"GET /stock/pooled", (*store).stockPooled},
	{"GET /prices", (*store).pricesReadSettings}, {"GET /prices/cached", (*store).pricesCachedSettings},
	{"GET /recommend", (*store).recommendHeavy}, {"GET /recommend/light", (*store).recommendLight},
	{"GET /journal", (*store).journalLocked}, {"GET /journal/buffered", (*store).journalBuffered},
}
