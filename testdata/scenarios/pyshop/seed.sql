-- pyshop schema and deterministic data (run by record.sh)
select setseed(0.42);
create table customers (id serial primary key, name varchar(80) not null, email varchar(120) not null);
create table orders (id serial primary key, customer_id int not null references customers(id), total numeric(10,2) not null);
create table order_items (id serial primary key, order_id int not null references orders(id), sku varchar(20) not null, qty int not null, price numeric(10,2) not null);
create index order_items_order_id on order_items(order_id);
create table settings (key varchar(40) primary key, scope varchar(20) not null, value text not null);
create table profiles (user_id int primary key, display_name varchar(80) not null, locale varchar(10) not null, currency varchar(3) not null);
create table stock (sku varchar(20) primary key, qty int not null);
create table prices (sku varchar(20) primary key, price numeric(10,2) not null);

insert into customers (name, email)
  select 'Customer ' || g, 'c' || g || '@example.com' from generate_series(1, 500) g;
-- orders are spread so that a page of 20 orders has 20 different customers
insert into orders (customer_id, total)
  select 1 + ((g * 37) % 500), round((random() * 200 + 5)::numeric, 2) from generate_series(1, 4000) g;
insert into order_items (order_id, sku, qty, price)
  select o.id, 'SKU-' || lpad((1 + (o.id * 7 + k) % 300)::text, 4, '0'), 1 + (o.id + k) % 4, round((random() * 50 + 1)::numeric, 2)
  from orders o, generate_series(1, 3) k;
insert into settings (key, scope, value) values
  ('currency', 'site', 'EUR'), ('theme', 'site', 'dark'), ('locale', 'site', 'de_DE'),
  ('support_email', 'site', 'help@example.com'), ('items_per_page', 'site', '20'),
  ('feature_flags', 'site', 'search,reviews'), ('banner', 'site', 'Winter sale'),
  ('smtp_host', 'mail', 'localhost');
insert into profiles (user_id, display_name, locale, currency)
  select g, 'User ' || g, 'de_DE', 'EUR' from generate_series(1, 500) g;
insert into stock (sku, qty) select 'SKU-' || lpad(g::text, 4, '0'), (g * 13) % 100 from generate_series(1, 300) g;
insert into prices (sku, price) select 'SKU-' || lpad(g::text, 4, '0'), round((random() * 50 + 1)::numeric, 2) from generate_series(1, 300) g;
analyze customers; analyze orders; analyze order_items; analyze settings; analyze profiles; analyze stock; analyze prices;
