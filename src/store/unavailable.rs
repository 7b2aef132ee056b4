//! Telling "the database cannot be reached" apart from every other failure,
//! so that endpoints answer a clear `503` (in their own error shape) while
//! the database is down or restarting, and a `500` only for real faults.

use std::error::Error as StdError;

use super::StoreError;

/// Marks a failure as the store being unreachable where the original error
/// cannot travel with it (a group-commit batch answers many requests with
/// one shared error).
#[derive(Debug, thiserror::Error)]
#[error("the store cannot be reached")]
pub struct StoreUnavailable;

/// Whether `e`, or anything in its cause chain, says the store cannot be
/// reached: no connection could be had within the pool's acquire timeout,
/// the connection broke, or the server is shutting down or starting up.
pub fn is_unavailable(e: &anyhow::Error) -> bool {
    e.chain().any(cause_is_unavailable)
}

fn cause_is_unavailable(cause: &(dyn StdError + 'static)) -> bool {
    if cause.is::<StoreUnavailable>() {
        return true;
    }
    if let Some(StoreError::Database(e)) = cause.downcast_ref::<StoreError>() {
        return sqlx_unavailable(e);
    }
    if let Some(e) = cause.downcast_ref::<sqlx::Error>() {
        return sqlx_unavailable(e);
    }
    false
}

/// The sqlx errors that mean "no database right now".
pub fn sqlx_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| unavailable_code(&code)),
        _ => false,
    }
}

/// Postgres SQLSTATE class 08 (connection exception), 57P01-57P03 (admin
/// or crash shutdown, cannot connect now) and 53300 (too many
/// connections); SQLite's `SQLITE_BUSY` (5) once its busy timeout ran out.
fn unavailable_code(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300" | "5")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_timeout_behind_a_store_error_is_unavailability() {
        let e = anyhow::Error::from(StoreError::Database(sqlx::Error::PoolTimedOut));
        assert!(is_unavailable(&e.context("loading the client")));
    }

    #[test]
    fn a_broken_connection_is_unavailability() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert!(is_unavailable(&anyhow::Error::from(sqlx::Error::Io(io))));
    }

    #[test]
    fn the_marker_survives_a_context() {
        let e = anyhow::Error::from(StoreUnavailable).context("cannot store the write");
        assert!(is_unavailable(&e));
    }

    #[test]
    fn other_failures_are_not_unavailability() {
        assert!(!is_unavailable(&anyhow::anyhow!("a bug")));
        let missing = anyhow::Error::from(StoreError::Database(sqlx::Error::RowNotFound));
        assert!(!is_unavailable(&missing));
        assert!(!is_unavailable(&anyhow::Error::from(StoreError::Conflict)));
    }
}
