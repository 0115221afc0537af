# ActiveRecord (Rails 6.1, from Debian) on sqlite in memory, logging to
# stdout the way a Rails development log does: an N+1 loop and a repeat read.
require "active_record"
require "logger"

ActiveRecord::Base.logger = Logger.new($stdout)
ActiveRecord::Base.establish_connection(adapter: "sqlite3", database: ":memory:")
ActiveRecord::Schema.verbose = false
ActiveRecord::Schema.define do
  create_table :authors do |t|
    t.string :name
  end
  create_table :books do |t|
    t.integer :author_id
    t.string :title
  end
end

class Author < ActiveRecord::Base
  has_many :books
end

class Book < ActiveRecord::Base
  belongs_to :author
end

5.times do |i|
  a = Author.create!(name: "author #{i}")
  2.times { |j| a.books.create!(title: "book #{i}-#{j}") }
end
Book.all.each { |b| b.author.name } # N+1
3.times { Author.where(name: "author 1").first }
ActiveRecord::Base.transaction { Author.find(1).update!(name: "renamed") }
