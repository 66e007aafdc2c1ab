// Transaction: a libpqxx transaction held open on a Connection until committed or destroyed.
#include <stdexcept>

#include "connection_parts.hpp"

namespace certbench::db {

Transaction::Transaction(Connection& connection) : connection_(connection) {
  try {
    connection_.impl_->tx = std::make_unique<pqxx::work>(*connection_.impl_->conn);
    ++connection_.stats_.round_trips;  // BEGIN
    ++connection_.stats_.statements;
  } catch (const pqxx::failure&) {
    detail::rethrow_as_certbench(connection_.server());
  }
}

Transaction::~Transaction() {
  // pqxx::work rolls back in its destructor when not committed; a broken connection is fine too.
  try {
    connection_.impl_->tx.reset();
  } catch (...) {
  }
}

void Transaction::commit() {
  if (!open_) throw std::logic_error("Transaction::commit called twice");
  open_ = false;
  try {
    connection_.impl_->tx->commit();
    ++connection_.stats_.round_trips;
    ++connection_.stats_.statements;
  } catch (const pqxx::failure&) {
    connection_.impl_->tx.reset();
    detail::rethrow_as_certbench(connection_.server());
  }
  connection_.impl_->tx.reset();
}

}  // namespace certbench::db
