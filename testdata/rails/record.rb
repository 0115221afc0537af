# Records Rails logs of app/shop.rb served by WEBrick on loopback, driven by
# concurrent HTTP requests (so the lines of different requests interleave,
# as they do in a threaded server's log), in both log styles:
#
#   rails-development.log  colours, bare messages, [request_id] tags
#   rails-production.log   Logger::Formatter prefix, [subdomain] [ip] [request_id]
#
# Requests: three concurrent GET /orders (the N+1), two GET /orders/eager,
# GET /orders/3, GET /orders/999 (a 404), POST /orders, and one GET /orders
# whose client sends its own X-Request-Id (as nginx's $request_id does).
#
# Usage: ruby record.rb   (Debian: apt-get install --no-install-recommends
#        ruby-rails ruby-sqlite3 ruby-webrick)
require "net/http"
require "socket"
require "tmpdir"
require "json"

HERE = __dir__

def free_port
  s = TCPServer.new("127.0.0.1", 0)
  s.addr[1]
ensure
  s&.close
end

def record(style, log)
  # The database lives in memory-backed /dev/shm where there is one: sqlite
  # syncs every commit, and a slow disk would only slow the recording.
  Dir.mktmpdir("hotpath-rails", File.directory?("/dev/shm") ? "/dev/shm" : nil) do |dir|
    port = free_port
    File.delete(log) if File.exist?(log)
    env = { "SHOP_LOG" => log, "SHOP_DB" => File.join(dir, "shop.sqlite3"), "SHOP_STYLE" => style,
            "SHOP_PORT" => port.to_s }
    server = spawn(env, "ruby", "-e", <<~RUBY, chdir: HERE)
      require "./app/shop"
      require "rack/handler/webrick"
      Rack::Handler::WEBrick.run(Shop, Host: "127.0.0.1", Port: Integer(ENV["SHOP_PORT"]),
        Logger: WEBrick::Log.new(File::NULL), AccessLog: [])
    RUBY
    begin
      up = 600.times.any? do
        Net::HTTP.start("127.0.0.1", port) { true }
      rescue SystemCallError
        sleep 0.1
        false
      end
      raise "the server did not start on port #{port}" unless up
      get = ->(path, headers = {}) { Net::HTTP.start("127.0.0.1", port) { |h| h.get(path, headers).code } }
      codes = []
      codes += 3.times.map { Thread.new { get.("/orders") } }.map(&:value)
      codes += 2.times.map { Thread.new { get.("/orders/eager") } }.map(&:value)
      codes += [get.("/orders/3"), get.("/orders/999")]
      codes << Net::HTTP.start("127.0.0.1", port) { |h| h.post("/orders", "customer_id=4&total=99").code }
      codes << get.("/orders", "X-Request-Id" => "5f2b8c1d9e7a4b3c8d6e0f1a2b3c4d5e")
      puts "#{style}: #{codes.join(" ")}"
    ensure
      begin
        Process.kill("TERM", server)
      rescue Errno::ESRCH
      end
      Process.wait(server)
    end
  end
end

record("development", File.join(HERE, "rails-development.log"))
record("production", File.join(HERE, "rails-production.log"))
