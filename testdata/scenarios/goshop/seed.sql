-- goshop schema and deterministic data (run by record.sh)
select setseed(0.42);
create table customers (id serial primary key, name varchar(80) not null, email varchar(120) not null);
create table orders (id serial primary key, customer_id int not null references customers(id), total numeric(10,2) not null);
create table stock (sku varchar(20) primary key, qty int not null);
create table prices (sku varchar(20) primary key, price numeric(10,2) not null);
-- events.ref deliberately has no index (slow_query)
create table events (id int primary key, ref varchar(20) not null, kind varchar(20) not null, payload text not null);

insert into customers (name, email)
  select 'Customer ' || g, 'c' || g || '@example.com' from generate_series(1, 500) g;
insert into orders (customer_id, total)
  select 1 + ((g * 37) % 500), round((random() * 200 + 5)::numeric, 2) from generate_series(1, 4000) g;
insert into stock (sku, qty) select 'SKU-' || lpad(g::text, 4, '0'), (g * 13) % 100 from generate_series(1, 300) g;
insert into prices (sku, price) select 'SKU-' || lpad(g::text, 4, '0'), round((random() * 50 + 1)::numeric, 2) from generate_series(1, 300) g;
insert into events (id, ref, kind, payload)
  select g, 'REF-' || lpad(g::text, 6, '0'), (array['view','cart','buy','ship'])[1 + g % 4], repeat(md5(g::text), 3)
  from generate_series(1, 200000) g;
analyze customers; analyze orders; analyze stock; analyze prices; analyze events;
