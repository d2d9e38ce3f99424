//! ferrodis: a Redis 7.0 compatible in-memory data store.
//!
//! # Layout
//! - `config`: the one `Config` (defaults < YAML < env < flags) and the CONFIG GET/SET table.
//! - `resp`: the in-place RESP request parser and the reply writer.
//! - `cmd`: the static command table, the dispatcher and one file per command family.
//! - `store`: databases, values, compact byte strings, expiry bookkeeping.
//! - `persist`: RDB snapshots (format, SAVE/BGSAVE by fork, loading at start-up).
//! - `server`: the mio reactor, connections, cron and shutdown.
//! - `util`: Redis-exact number parsing/formatting and glob matching.
//! - `logging`: fern set-up (text or JSON lines).
//! - `persist`: the RDB format (snapshot files, DUMP/RESTORE payloads).

pub mod alloc;
pub mod cmd;
pub mod config;
pub mod logging;
pub mod persist;
pub mod resp;
pub mod server;
pub mod store;
pub mod tls;
pub mod util;
