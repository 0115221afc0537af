# A one-file Rails 6.1 application (Debian's ruby-rails, sqlite3), for
# recording real Rails logs: ActiveRecord + ActionController, request ids as
# log tags, verbose query logs (the "↳ app/…:LINE:in `method'" lines), a
# planted N+1 (index) and its eager-loaded twin (eager).
#
# SHOP_LOG is the log file, SHOP_DB the sqlite file, SHOP_STYLE
# "development" (colours, bare messages, [request_id]) or "production"
# (Logger::Formatter's "I, [time #pid]  INFO -- :" prefix, no colours,
# [subdomain] [remote_ip] [request_id]). Run by ../record.rb.
require "rails"
require "active_record/railtie"
require "action_controller/railtie"
require "logger"

PRODUCTION = ENV.fetch("SHOP_STYLE", "development") == "production"
ENV["DATABASE_URL"] = "sqlite3:#{ENV.fetch("SHOP_DB")}"

class Shop < Rails::Application
  config.root = File.expand_path("..", __dir__) # so call sites read "app/shop.rb:…"
  config.eager_load = false
  config.secret_key_base = "0" * 64
  config.hosts.clear
  config.log_level = :debug
  config.colorize_logging = !PRODUCTION
  config.log_tags = PRODUCTION ? [:subdomain, :remote_ip, :request_id] : [:request_id]
  logger = ActiveSupport::Logger.new(ENV.fetch("SHOP_LOG"))
  logger.formatter = ::Logger::Formatter.new if PRODUCTION
  config.logger = ActiveSupport::TaggedLogging.new(logger)
  config.active_record.verbose_query_logs = true
  config.active_support.deprecation = :silence
end

class Customer < ActiveRecord::Base
  has_many :orders
end

class Order < ActiveRecord::Base
  belongs_to :customer
end

# Forgery protection is off: the app is created without load_defaults.
class OrdersController < ActionController::Base
  # N+1: one SELECT for the orders, then one per order for its customer.
  def index
    orders = Order.order(:id).limit(12)
    names = []
    orders.each { |o| names << o.customer.name }
    render json: names
  end

  # The same page with the customers loaded in one query.
  def eager
    orders = Order.includes(:customer).order(:id).limit(12)
    render json: orders.map { |o| o.customer.name }
  end

  def show
    order = Order.find(params[:id])
    render json: { id: order.id, customer: order.customer.name }
  end

  def create
    order = Order.create!(customer_id: params.require(:customer_id), total: params.fetch(:total, 10))
    render json: { id: order.id }, status: :created
  end
end

Shop.initialize!

Shop.routes.draw do
  get "/orders" => "orders#index"
  get "/orders/eager" => "orders#eager"
  get "/orders/:id" => "orders#show"
  post "/orders" => "orders#create"
end

ActiveRecord::Schema.verbose = false
ActiveRecord::Schema.define do
  create_table :customers do |t|
    t.string :name
  end
  create_table :orders do |t|
    t.integer :customer_id
    t.integer :total
  end
end
# Twelve orders of ten customers: the N+1 loop meets two customers twice
# (ActiveRecord's query cache answers those: "CACHE Customer Load").
ActiveRecord::Base.transaction do
  10.times { |i| Customer.create!(name: "customer #{i + 1}") }
  12.times { |i| Order.create!(customer_id: (i % 10) + 1, total: 10 * (i + 1)) }
end
