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
//!   tracking and pause registries, snapshot orchestration). Below `cmd`; imports neither
//!   `cmd` nor `net`.
//! - `net`: the network layer: listeners, connections, the mio reactor, timers, cron. Above
//!   `cmd`.
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
