//! ferrodis: a Redis 7.0 compatible in-memory data store.
//!
//! # Layout
//! - `config`: the one `Config` (defaults < YAML < env < flags) and the CONFIG GET/SET table.
//! - `resp`: the in-place RESP request parser and the reply writer.
//! - `cmd`: the static command table, the dispatcher and one file per command family.
//! - `store`: databases, values, compact byte strings, expiry bookkeeping.
//! - `persist`: the RDB format (encoding and decoding of snapshot files and DUMP payloads);
//!   imports neither `state` nor `net`.
//! - `state`: what handlers run against (`Server`, `Client`, the blocking, watch, pub/sub,
//!   tracking, pause and rate-limit registries, ACL users and log, snapshot orchestration).
//!   Below `cmd`: it names neither `cmd`, `acl` nor `net`.
//! - `acl`: the ACL rules compiled against the command table, the permission check, the ACL
//!   file; beside `cmd`, above `state`, whose ACL data it builds and reads.
//! - `tls`: the rustls server configuration built from the `tls-*` settings (certificates,
//!   client verification, session cache); the TLS streams themselves are `net`'s.
//! - `net`: the network layer: listeners, connections (plain or TLS), the mio reactor,
//!   timers, cron. Above `cmd`.
//! - `util`: Redis-exact number parsing/formatting and glob matching.
//! - `logging`: fern set-up (text or JSON lines).

pub mod acl;
pub mod alloc;
pub mod cmd;
pub mod config;
pub mod logging;
pub mod net;
pub mod persist;
pub mod resp;
pub mod state;
pub mod store;
pub mod tls;
pub mod util;
