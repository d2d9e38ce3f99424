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
//!   tracking, pause and rate-limit registries, snapshot orchestration). Below `cmd`: it names
//!   neither `cmd` nor `net`; it holds the ACL users (`acl`), whose compiled rules refer to
//!   the command table's ids and categories, the one path by which it reaches `cmd::table`.
//! - `acl`: ACL users, rules and selectors, the permission check, the ACL log and file.
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
