"""A small SQLAlchemy 1.4 program with the anti-patterns hotpath looks for:
an N+1 loop over a relationship, a repeated identical read, and an engine
without a pool (NullPool: a new connection per checkout). Logs the engine
echo and pool debug lines to stdout. Usage: sqlalchemy_app.py URL"""
import logging
import sys

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, select, text
from sqlalchemy.orm import Session, declarative_base, relationship
from sqlalchemy.pool import NullPool

logging.basicConfig(stream=sys.stdout, format="%(asctime)s %(levelname)s %(name)s %(message)s")
logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
logging.getLogger("sqlalchemy.pool").setLevel(logging.DEBUG)

Base = declarative_base()


class Customer(Base):
    __tablename__ = "hp_customer"
    id = Column(Integer, primary_key=True)
    name = Column(String(40))
    orders = relationship("Order", back_populates="customer", lazy="select")


class Order(Base):
    __tablename__ = "hp_order"
    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("hp_customer.id"))
    total = Column(Integer)
    customer = relationship("Customer", back_populates="orders")


url = sys.argv[1]
engine = create_engine(url)
Base.metadata.drop_all(engine)
Base.metadata.create_all(engine)
with Session(engine) as s:
    for i in range(1, 9):
        c = Customer(id=i, name="customer %d" % i)
        s.add(c)
        for j in range(3):
            s.add(Order(customer=c, total=i * 10 + j))
    s.commit()

# N+1: one query for the customers, one per customer for its orders.
with Session(engine) as s:
    for c in s.execute(select(Customer)).scalars():
        sum(o.total for o in c.orders)

# The same read, with the same parameters, again and again.
with Session(engine) as s:
    for _ in range(5):
        s.execute(text("SELECT name FROM hp_customer WHERE id = :id /*route='/dashboard'*/"), {"id": 3}).scalar()

# No pool: a new connection for every unit of work.
nopool = create_engine(url, poolclass=NullPool)
for i in range(1, 5):
    with nopool.connect() as conn:
        conn.execute(text("SELECT total FROM hp_order WHERE id = :id"), {"id": i}).all()
engine.dispose()
