package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	zipkin "github.com/openzipkin/zipkin-go"
	zipkinhttp "github.com/openzipkin/zipkin-go/middleware/http"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Models (GORM conventions: table names authors, books, flags, inventories, orders).
type Author struct {
	ID      uint
	Name    string
	Country string
}

type Book struct {
	ID         uint
	Title      string
	ISBN       string `gorm:"uniqueIndex"`
	AuthorID   uint   `gorm:"index"`
	Author     Author
	Blurb      string
	PriceCents int
}

type Flag struct {
	Key     string `gorm:"primaryKey"`
	Enabled bool
	Payload string
}

type Inventory struct {
	BookID    uint `gorm:"primaryKey"`
	Warehouse string
	Qty       int
}

type Order struct {
	ID        uint
	BookID    uint
	Qty       int
	CreatedAt time.Time
}

// shop is the API. Each planted problem sits in one handler (marked
// PLANTED) with its healthy twin after it.
type shop struct {
	db         *gorm.DB // one pool for the process
	dsn        string
	tracer     *zipkin.Tracer
	pricingURL string
	pricingTLS *tls.Config
	pricing    *http.Client // one client for the process (keep-alive)

	flagMu     sync.Mutex
	flagCache  map[string]Flag
	flagLoaded time.Time
}

func send(w http.ResponseWriter, v any, err error) {
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func intParam(r *http.Request, name string) int {
	n, _ := strconv.Atoi(r.URL.Query().Get(name))
	return n
}

// ------------------------------------------------------------------ n_plus_one

func (s *shop) booksLazyAuthors(w http.ResponseWriter, r *http.Request) {
	db := s.db.WithContext(r.Context())
	var books []Book
	if err := db.Order("id").Limit(20).Offset(20 * intParam(r, "page")).Find(&books).Error; err != nil {
		send(w, nil, err)
		return
	}
	for i := range books {
		// PLANTED n_plus_one: the author of each book loaded on its own (GORM association, one SELECT per book)
		if err := db.Model(&books[i]).Association("Author").Find(&books[i].Author); err != nil {
			send(w, nil, err)
			return
		}
	}
	send(w, books, nil)
}

func (s *shop) booksPreloaded(w http.ResponseWriter, r *http.Request) {
	var books []Book
	err := s.db.WithContext(r.Context()).Preload("Author").Order("id").Limit(20).Offset(20 * intParam(r, "page")).Find(&books).Error
	send(w, books, err)
}

// --------------------------------------------------------- cacheable_duplicate

func (s *shop) bookWithFlagQuery(w http.ResponseWriter, r *http.Request) {
	db := s.db.WithContext(r.Context())
	var flag Flag
	// PLANTED cacheable_duplicate: the same feature flag row read by every request
	if err := db.Where("key = ?", "reviews.enabled").First(&flag).Error; err != nil {
		send(w, nil, err)
		return
	}
	var book Book
	err := db.First(&book, intParam(r, "id")).Error
	send(w, map[string]any{"book": book, "reviews": flag.Enabled}, err)
}

func (s *shop) flag(r *http.Request, key string) (Flag, error) {
	s.flagMu.Lock()
	defer s.flagMu.Unlock()
	if s.flagCache == nil || time.Since(s.flagLoaded) > 5*time.Minute {
		var flags []Flag
		if err := s.db.WithContext(r.Context()).Find(&flags).Error; err != nil {
			return Flag{}, err
		}
		s.flagCache = map[string]Flag{}
		for _, f := range flags {
			s.flagCache[f.Key] = f
		}
		s.flagLoaded = time.Now()
	}
	return s.flagCache[key], nil
}

func (s *shop) bookWithFlagCached(w http.ResponseWriter, r *http.Request) {
	flag, err := s.flag(r, "reviews.enabled")
	if err != nil {
		send(w, nil, err)
		return
	}
	var book Book
	err = s.db.WithContext(r.Context()).First(&book, intParam(r, "id")).Error
	send(w, map[string]any{"book": book, "reviews": flag.Enabled}, err)
}

// ---------------------------------------------------------- no_connection_pool

func (s *shop) stockOpenGorm(w http.ResponseWriter, r *http.Request) {
	// PLANTED no_connection_pool: gorm.Open (a new pool, a new server connection) per request
	db, err := gorm.Open(postgres.Open(s.dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		send(w, nil, err)
		return
	}
	sqlDB, _ := db.DB()
	defer sqlDB.Close()
	s.instrument(db)
	var inv Inventory
	err = db.WithContext(r.Context()).Where("book_id = ?", intParam(r, "book")).First(&inv).Error
	send(w, inv, err)
}

func (s *shop) stockShared(w http.ResponseWriter, r *http.Request) {
	var inv Inventory
	err := s.db.WithContext(r.Context()).Where("book_id = ?", intParam(r, "book")).First(&inv).Error
	send(w, inv, err)
}

// ------------------------------------------------------------------ slow_query

func (s *shop) searchBlurb(w http.ResponseWriter, r *http.Request) {
	var n int64
	// PLANTED slow_query: ILIKE '%…%' over the unindexed blurb column (a sequential scan of every book)
	err := s.db.WithContext(r.Context()).Model(&Book{}).Where("blurb ILIKE ?", "%"+r.URL.Query().Get("q")+"%").Count(&n).Error
	send(w, map[string]int64{"matches": n}, err)
}

func (s *shop) searchTitle(w http.ResponseWriter, r *http.Request) {
	var n int64
	// title has a trigram (GIN) index
	err := s.db.WithContext(r.Context()).Model(&Book{}).Where("title ILIKE ?", "%"+r.URL.Query().Get("q")+"%").Count(&n).Error
	send(w, map[string]int64{"matches": n}, err)
}

// ----------------------------------------------------------- http_client_churn

func readPrice(resp *http.Response, err error) (map[string]any, error) {
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("pricing: %s %s", resp.Status, b)
	}
	var v map[string]any
	return v, json.NewDecoder(resp.Body).Decode(&v)
}

func (s *shop) priceNewClient(w http.ResponseWriter, r *http.Request) {
	// PLANTED http_client_churn: a new http.Client and Transport per call (a new TCP + TLS connection each time)
	rt, err := zipkinhttp.NewTransport(s.tracer, zipkinhttp.RoundTripper(&http.Transport{TLSClientConfig: s.pricingTLS}), zipkinhttp.TransportTrace(true))
	if err != nil {
		send(w, nil, err)
		return
	}
	client := &http.Client{Transport: rt, Timeout: 5 * time.Second}
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, fmt.Sprintf("%s/price?book=%d", s.pricingURL, intParam(r, "book")), nil)
	v, err := readPrice(client.Do(req))
	send(w, v, err)
}

func (s *shop) priceSharedClient(w http.ResponseWriter, r *http.Request) {
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, fmt.Sprintf("%s/price?book=%d", s.pricingURL, intParam(r, "book")), nil)
	v, err := readPrice(s.pricing.Do(req))
	send(w, v, err)
}

// ---------------------------------------------------------- healthy write path

func (s *shop) placeOrder(w http.ResponseWriter, r *http.Request) {
	o := Order{BookID: uint(intParam(r, "book")), Qty: 1}
	err := s.db.WithContext(r.Context()).Create(&o).Error // GORM wraps it in BEGIN … COMMIT
	send(w, o, err)
}

var routes = []struct {
	path string
	h    func(*shop, http.ResponseWriter, *http.Request)
}{
	{"/books", (*shop).booksLazyAuthors}, {"/books/preloaded", (*shop).booksPreloaded},
	{"/book", (*shop).bookWithFlagQuery}, {"/book/cached", (*shop).bookWithFlagCached},
	{"/stock", (*shop).stockOpenGorm}, {"/stock/shared", (*shop).stockShared},
	{"/search", (*shop).searchBlurb}, {"/search/title", (*shop).searchTitle},
	{"/price", (*shop).priceNewClient}, {"/price/shared", (*shop).priceSharedClient},
	{"/order", (*shop).placeOrder},
}
