package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand"
	"strings"
)

// Schema and seed data, applied by the service at start-up on its own
// untraced connection (like a migration tool), before it listens.
var schema = []string{
	`create table if not exists products (sku text primary key, title text not null, price_cents int not null)`,
	`create table if not exists cart_items (cart_id int not null, line int not null, sku text not null references products, qty int not null, primary key (cart_id, line))`,
	`create table if not exists payments (id bigserial primary key, merchant_id int not null, merchant_ref text not null, amount_cents int not null, note text)`,
	`create table if not exists stock (sku text not null, warehouse text not null, qty int not null, primary key (sku, warehouse))`,
	`create table if not exists settings (name text primary key, value text not null)`,
	`create table if not exists journal (id bigserial primary key, cart_id int not null, event text not null, at timestamptz not null)`,
}

const (
	nProducts = 2000
	nCarts    = 600
	cartLines = 12
)

func sku(i int) string { return fmt.Sprintf("SKU-%05d", i) }

// copyRows streams rows into table with COPY … FROM STDIN (lib/pq).
func copyRows(ctx context.Context, db *sql.DB, table string, cols []string, n int, row func(i int) []any) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, fmt.Sprintf("copy %s (%s) from stdin", table, strings.Join(cols, ", ")))
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if _, err := st.ExecContext(ctx, row(i)...); err != nil {
			return fmt.Errorf("copy %s row %d: %w", table, i, err)
		}
	}
	if _, err := st.ExecContext(ctx); err != nil {
		return err
	}
	if err := st.Close(); err != nil {
		return err
	}
	return tx.Commit()
}

func migrate(ctx context.Context, dsn string, payments int) error {
	db, err := sql.Open("postgres", strings.Replace(dsn, "application_name=gostore", "application_name=gostore-migrate", 1))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range schema {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	var n int
	if err := db.QueryRowContext(ctx, "select count(*) from products").Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil // already seeded
	}
	rng := rand.New(rand.NewSource(11))
	// products: multi-row INSERTs of 500 rows
	for base := 0; base < nProducts; base += 500 {
		var q strings.Builder
		args := []any{}
		q.WriteString("insert into products (sku, title, price_cents) values ")
		for i := base; i < base+500; i++ {
			if i > base {
				q.WriteString(", ")
			}
			k := len(args)
			fmt.Fprintf(&q, "($%d, $%d, $%d)", k+1, k+2, k+3)
			args = append(args, sku(i), fmt.Sprintf("Product %d", i), 199+rng.Intn(20000))
		}
		if _, err := db.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	if err := copyRows(ctx, db, "cart_items", []string{"cart_id", "line", "sku", "qty"}, nCarts*cartLines, func(i int) []any {
		return []any{i / cartLines, i % cartLines, sku(rng.Intn(nProducts)), 1 + rng.Intn(3)}
	}); err != nil {
		return err
	}
	warehouses := []string{"ams", "fra", "waw"}
	if err := copyRows(ctx, db, "stock", []string{"sku", "warehouse", "qty"}, nProducts*len(warehouses), func(i int) []any {
		return []any{sku(i / len(warehouses)), warehouses[i%len(warehouses)], rng.Intn(500)}
	}); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `insert into settings (name, value) values ('vat_percent', '21'), ('currency', 'EUR'), ('free_shipping_cents', '5000')`); err != nil {
		return err
	}
	// payments: COPY in chunks of 250,000 rows
	for total := 0; total < payments; total += 250_000 {
		base := total
		if err := copyRows(ctx, db, "payments", []string{"merchant_id", "merchant_ref", "amount_cents", "note"}, min(250_000, payments-total), func(i int) []any {
			m := (base + i) % 400
			return []any{m, fmt.Sprintf("M-%05d-%d", m, (base+i)%7), rng.Intn(100000), fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())}
		}); err != nil {
			return err
		}
	}
	for _, q := range []string{
		"create index payments_merchant_id on payments (merchant_id)",
		"create index cart_items_sku on cart_items (sku)",
		"vacuum analyze products, cart_items, payments, stock, settings",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}
