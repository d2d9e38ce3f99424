//! The INFO text: Redis 7.0's sections, field names and layout (`# Section` headers, one
//! `name:value` per CRLF-terminated line, a blank line between sections).
//!
//! The INFO command itself is in `server.rs`; this file builds its text and keeps the
//! instantaneous metrics (`instantaneous_ops_per_sec` & co.) sampled by the cron.

use crate::state::metrics::{NET_IN, NET_OUT, OPS};
use std::fmt::Write;

use crate::state::{unix_ms, Server};

/// Every section in the order Redis prints them: (name as requested, header, in the default set).
const SECTIONS: &[(&str, &str, bool)] = &[
    ("server", "Server", true),
    ("clients", "Clients", true),
    ("memory", "Memory", true),
    ("persistence", "Persistence", true),
    ("stats", "Stats", true),
    ("replication", "Replication", true),
    ("cpu", "CPU", true),
    ("modules", "Modules", true),
    ("commandstats", "Commandstats", false),
    ("errorstats", "Errorstats", true),
    ("latencystats", "Latencystats", false),
    ("cluster", "Cluster", true),
    ("keyspace", "Keyspace", true),
];

/// Which sections a request asks for, as a bit per entry of [`SECTIONS`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Selection(u32);

impl Selection {
    /// Redis's default set (INFO without arguments, INFO default).
    pub fn default_set() -> Selection {
        let mut bits = 0;
        for (i, s) in SECTIONS.iter().enumerate() {
            if s.2 {
                bits |= 1 << i;
            }
        }
        Selection(bits)
    }

    pub fn all() -> Selection {
        Selection((1 << SECTIONS.len()) - 1)
    }

    /// The sections named by INFO's arguments (case-insensitive; `all`, `everything` and
    /// `default` select groups; unknown names select nothing). No arguments: the default set.
    pub fn from_args<'a>(args: impl Iterator<Item = &'a [u8]>) -> Selection {
        let mut sel = Selection(0);
        let mut any = false;
        for arg in args {
            any = true;
            if arg.eq_ignore_ascii_case(b"all") || arg.eq_ignore_ascii_case(b"everything") {
                sel.0 |= Selection::all().0;
            } else if arg.eq_ignore_ascii_case(b"default") {
                sel.0 |= Selection::default_set().0;
            } else if let Some(i) = SECTIONS
                .iter()
                .position(|s| s.0.as_bytes().eq_ignore_ascii_case(arg))
            {
                sel.0 |= 1 << i;
            }
        }
        if any {
            sel
        } else {
            Selection::default_set()
        }
    }

    fn has(self, i: usize) -> bool {
        self.0 & (1 << i) != 0
    }
}

/// Redis's `bytesToHuman`: `512B`, `943.08K`, `6.70M`, `1.50G` …
pub fn bytes_to_human(n: u64) -> String {
    const UNITS: [(&str, f64); 5] = [
        ("K", 1024.0),
        ("M", 1024.0 * 1024.0),
        ("G", 1024.0 * 1024.0 * 1024.0),
        ("T", 1024.0 * 1024.0 * 1024.0 * 1024.0),
        ("P", 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0),
    ];
    if n < 1024 {
        return format!("{n}B");
    }
    let d = n as f64;
    for (i, &(unit, div)) in UNITS.iter().enumerate() {
        if i + 1 == UNITS.len() || d < div * 1024.0 {
            return format!("{:.2}{unit}", d / div);
        }
    }
    format!("{n}B")
}

/// `uname`: (sysname release machine).
fn os_name() -> String {
    // SAFETY: `utsname` is plain data; uname fills it with NUL-terminated strings.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return std::env::consts::OS.to_string();
        }
        let field = |f: &[libc::c_char]| {
            let bytes: Vec<u8> = f
                .iter()
                .take_while(|&&c| c != 0)
                .map(|&c| c as u8)
                .collect();
            String::from_utf8_lossy(&bytes).into_owned()
        };
        format!(
            "{} {} {}",
            field(&u.sysname),
            field(&u.release),
            field(&u.machine)
        )
    }
}

/// Physical memory in bytes (`total_system_memory`).
fn total_system_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let (pages, page) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    if pages <= 0 || page <= 0 {
        0
    } else {
        pages as u64 * page as u64
    }
}

/// (system, user) CPU seconds for `who` (RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD).
fn cpu_times(who: libc::c_int) -> (String, String) {
    // SAFETY: `rusage` is plain data filled by getrusage.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        if libc::getrusage(who, &mut ru) != 0 {
            return ("0.000000".into(), "0.000000".into());
        }
        ru
    };
    let fmt = |tv: libc::timeval| format!("{}.{:06}", tv.tv_sec, tv.tv_usec);
    (fmt(ru.ru_stime), fmt(ru.ru_utime))
}

/// The replication ID INFO reports: random, fixed for the life of the process.
fn master_replid(srv: &mut Server) -> &'static str {
    static REPLID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(id) = REPLID.get() {
        return id;
    }
    let id: String = (0..40)
        .map(|_| char::from_digit((srv.random() % 16) as u32, 16).unwrap_or('0'))
        .collect();
    REPLID.get_or_init(|| id)
}

/// Average remaining TTL (ms): the running estimate the active expiry cycle keeps, as Redis's
/// `db->avg_ttl`; before the cycle has sampled a database, a direct estimate from at most 1024
/// of its keys.
fn avg_ttl(db: &crate::store::Db, now_ms: i64) -> i64 {
    if db.avg_ttl > 0 {
        return db.avg_ttl;
    }
    let expires = db.expires();
    if expires.is_empty() {
        return 0;
    }
    let step = expires.len().div_ceil(1024).max(1);
    let (mut sum, mut n) = (0i128, 0i128);
    for &(_, at) in expires.iter().step_by(step) {
        if at > now_ms {
            sum += (at - now_ms) as i128;
        }
        n += 1;
    }
    (sum / n.max(1)) as i64
}

/// Builds the INFO text for `sel`. `srv` is mutable only to refresh the memory peak and to
/// draw the replication ID once.
pub fn build(srv: &mut Server, sel: Selection) -> String {
    let mut out = String::with_capacity(4096);
    let mut first = true;
    for (i, &(name, header, _)) in SECTIONS.iter().enumerate() {
        if !sel.has(i) {
            continue;
        }
        if !first {
            out.push_str("\r\n");
        }
        first = false;
        out.push_str("# ");
        out.push_str(header);
        out.push_str("\r\n");
        section(srv, name, &mut out);
    }
    out
}

/// Appends `name:value\r\n`.
macro_rules! field {
    ($out:expr, $name:expr, $($arg:tt)*) => {{
        let _ = write!($out, "{}:", $name);
        let _ = write!($out, $($arg)*);
        $out.push_str("\r\n");
    }};
}

fn section(srv: &mut Server, name: &str, out: &mut String) {
    match name {
        "server" => server_section(srv, out),
        "clients" => clients_section(srv, out),
        "memory" => memory_section(srv, out),
        "persistence" => persistence_section(srv, out),
        "stats" => stats_section(srv, out),
        "replication" => replication_section(srv, out),
        "cpu" => {
            let (sys, user) = cpu_times(libc::RUSAGE_SELF);
            let (csys, cuser) = cpu_times(libc::RUSAGE_CHILDREN);
            let (tsys, tuser) = cpu_times(libc::RUSAGE_THREAD);
            field!(out, "used_cpu_sys", "{sys}");
            field!(out, "used_cpu_user", "{user}");
            field!(out, "used_cpu_sys_children", "{csys}");
            field!(out, "used_cpu_user_children", "{cuser}");
            field!(out, "used_cpu_sys_main_thread", "{tsys}");
            field!(out, "used_cpu_user_main_thread", "{tuser}");
        }
        "modules" => {}
        "commandstats" => commandstats_section(srv, out),
        "errorstats" => {
            let mut errors: Vec<(&Vec<u8>, &u64)> = srv.error_stats.iter().collect();
            errors.sort();
            for (code, count) in errors {
                // Codes come from ferrodis's own error texts, so they are ASCII.
                let code = String::from_utf8_lossy(code);
                field!(out, format_args!("errorstat_{code}"), "count={count}");
            }
        }
        "latencystats" => {}
        "cluster" => field!(out, "cluster_enabled", "0"),
        "keyspace" => {
            let now = unix_ms();
            for (i, db) in srv.dbs.iter().enumerate() {
                if db.is_empty() {
                    continue;
                }
                field!(
                    out,
                    format_args!("db{i}"),
                    "keys={},expires={},avg_ttl={}",
                    db.len(),
                    db.expires_len(),
                    avg_ttl(db, now)
                );
            }
        }
        _ => {}
    }
}

fn server_section(srv: &mut Server, out: &mut String) {
    let uptime = srv.uptime_secs();
    let now_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    field!(out, "redis_version", "{}", super::conn::REDIS_VERSION);
    field!(out, "redis_git_sha1", "00000000");
    field!(out, "redis_git_dirty", "0");
    field!(out, "redis_build_id", "0");
    field!(out, "redis_mode", "standalone");
    field!(out, "os", "{}", os_name());
    field!(out, "arch_bits", "{}", usize::BITS);
    field!(out, "monotonic_clock", "POSIX clock_gettime");
    field!(out, "multiplexing_api", "epoll");
    field!(out, "atomicvar_api", "c11-builtin");
    field!(out, "gcc_version", "0.0.0");
    field!(out, "process_id", "{}", std::process::id());
    field!(out, "process_supervised", "no");
    field!(out, "run_id", "{}", srv.run_id);
    field!(out, "tcp_port", "{}", srv.tcp_port);
    field!(out, "server_time_usec", "{now_us}");
    field!(out, "uptime_in_seconds", "{uptime}");
    field!(out, "uptime_in_days", "{}", uptime / 86400);
    field!(out, "hz", "{}", srv.config.hz);
    field!(out, "configured_hz", "{}", srv.config.hz);
    field!(out, "lru_clock", "{}", srv.lru_clock());
    field!(out, "executable", "{}", srv.executable);
    field!(out, "config_file", "{}", srv.config_file);
    field!(out, "io_threads_active", "0");
}

fn clients_section(srv: &mut Server, out: &mut String) {
    let max_in = srv
        .clients
        .iter()
        .map(|(_, c)| c.bufs.qbuf)
        .max()
        .unwrap_or(0);
    let max_out = srv
        .clients
        .iter()
        .map(|(_, c)| c.bufs.omem())
        .max()
        .unwrap_or(0);
    field!(out, "connected_clients", "{}", srv.clients.len());
    field!(out, "cluster_connections", "0");
    field!(out, "maxclients", "{}", srv.config.maxclients);
    field!(out, "client_recent_max_input_buffer", "{max_in}");
    field!(out, "client_recent_max_output_buffer", "{max_out}");
    field!(
        out,
        "blocked_clients",
        "{}",
        srv.blocking.blocked_count() + srv.pause.held_count()
    );
    field!(out, "tracking_clients", "{}", srv.tracking.clients);
    field!(
        out,
        "clients_in_timeout_table",
        "{}",
        srv.blocking.timeout_count()
    );
}

fn memory_section(srv: &mut Server, out: &mut String) {
    let used = crate::alloc::allocated() as u64;
    srv.peak_memory = srv.peak_memory.max(used as usize);
    let peak = srv.peak_memory as u64;
    let rss = crate::alloc::rss_bytes() as u64;
    let total = total_system_memory();
    let clients_mem: u64 = srv
        .clients
        .iter()
        .map(|(_, c)| (c.bufs.qbuf + c.bufs.omem()) as u64)
        .sum();
    let peak_perc = if peak > 0 {
        used as f64 * 100.0 / peak as f64
    } else {
        0.0
    };
    let frag = if used > 0 {
        rss as f64 / used as f64
    } else {
        0.0
    };
    field!(out, "used_memory", "{used}");
    field!(out, "used_memory_human", "{}", bytes_to_human(used));
    field!(out, "used_memory_rss", "{rss}");
    field!(out, "used_memory_rss_human", "{}", bytes_to_human(rss));
    field!(out, "used_memory_peak", "{peak}");
    field!(out, "used_memory_peak_human", "{}", bytes_to_human(peak));
    field!(out, "used_memory_peak_perc", "{peak_perc:.2}%");
    field!(out, "allocator_allocated", "{used}");
    field!(out, "total_system_memory", "{total}");
    field!(
        out,
        "total_system_memory_human",
        "{}",
        bytes_to_human(total)
    );
    let maxmemory = srv.config.maxmemory;
    field!(out, "maxmemory", "{maxmemory}");
    field!(out, "maxmemory_human", "{}", bytes_to_human(maxmemory));
    field!(
        out,
        "maxmemory_policy",
        "{}",
        srv.config.maxmemory_policy.as_str()
    );
    field!(out, "maxmemory_rss", "{}", srv.config.maxmemory_rss);
    field!(out, "evicted_keys_rss", "{}", srv.evictor.evicted_for_rss);
    field!(out, "mem_fragmentation_ratio", "{frag:.2}");
    field!(
        out,
        "mem_fragmentation_bytes",
        "{}",
        rss as i64 - used as i64
    );
    field!(out, "mem_not_counted_for_evict", "0");
    field!(out, "mem_replication_backlog", "0");
    field!(out, "mem_total_replication_buffers", "0");
    field!(out, "mem_clients_slaves", "0");
    field!(out, "mem_clients_normal", "{clients_mem}");
    field!(out, "mem_cluster_links", "0");
    field!(out, "mem_aof_buffer", "0");
    field!(out, "mem_allocator", "libc");
    field!(out, "active_defrag_running", "0");
    field!(
        out,
        "lazyfree_pending_objects",
        "{}",
        super::server::lazyfree_pending()
    );
    field!(
        out,
        "lazyfreed_objects",
        "{}",
        super::server::lazyfreed_objects()
    );
}

fn persistence_section(srv: &mut Server, out: &mut String) {
    field!(out, "loading", "0");
    field!(out, "async_loading", "0");
    field!(out, "current_cow_peak", "0");
    field!(out, "current_cow_size", "0");
    field!(out, "current_cow_size_age", "0");
    field!(out, "current_fork_perc", "0.00");
    field!(out, "current_save_keys_processed", "0");
    field!(out, "current_save_keys_total", "0");
    field!(out, "rdb_changes_since_last_save", "{}", srv.dirty);
    let persist = &srv.persist;
    let running = persist.child.as_ref();
    field!(out, "rdb_bgsave_in_progress", "{}", running.is_some() as u8);
    field!(out, "rdb_last_save_time", "{}", srv.last_save_unix);
    let status = if persist.last_bgsave_ok { "ok" } else { "err" };
    field!(out, "rdb_last_bgsave_status", "{status}");
    field!(
        out,
        "rdb_last_bgsave_time_sec",
        "{}",
        persist.last_bgsave_secs
    );
    let current = running.map_or(-1, |c| c.started.elapsed().as_secs() as i64);
    field!(out, "rdb_current_bgsave_time_sec", "{current}");
    field!(out, "rdb_saves", "{}", persist.saves);
    field!(out, "rdb_last_cow_size", "{}", persist.last_cow_bytes);
    field!(
        out,
        "rdb_last_load_keys_expired",
        "{}",
        persist.last_load_expired
    );
    field!(
        out,
        "rdb_last_load_keys_loaded",
        "{}",
        persist.last_load_keys
    );
    field!(out, "aof_enabled", "0");
    field!(out, "aof_rewrite_in_progress", "0");
    field!(out, "aof_rewrite_scheduled", "0");
    field!(out, "aof_last_rewrite_time_sec", "-1");
    field!(out, "aof_current_rewrite_time_sec", "-1");
    field!(out, "aof_last_bgrewrite_status", "ok");
    field!(out, "aof_rewrites", "0");
    field!(out, "aof_rewrites_consecutive_failures", "0");
    field!(out, "aof_last_write_status", "ok");
    field!(out, "aof_last_cow_size", "0");
    field!(out, "module_fork_in_progress", "0");
    field!(out, "module_fork_last_cow_size", "0");
}

fn stats_section(srv: &mut Server, out: &mut String) {
    let st = &srv.stats;
    let m = &srv.inst_metrics;
    let kbps = |metric: usize| m.average(metric) as f64 / 1024.0;
    field!(
        out,
        "total_connections_received",
        "{}",
        st.connections_received
    );
    field!(out, "total_commands_processed", "{}", st.commands_processed);
    field!(out, "instantaneous_ops_per_sec", "{}", m.average(OPS));
    field!(out, "total_net_input_bytes", "{}", st.net_input_bytes);
    field!(out, "total_net_output_bytes", "{}", st.net_output_bytes);
    field!(out, "total_net_repl_input_bytes", "0");
    field!(out, "total_net_repl_output_bytes", "0");
    field!(out, "instantaneous_input_kbps", "{:.2}", kbps(NET_IN));
    field!(out, "instantaneous_output_kbps", "{:.2}", kbps(NET_OUT));
    field!(out, "instantaneous_input_repl_kbps", "0.00");
    field!(out, "instantaneous_output_repl_kbps", "0.00");
    field!(out, "rejected_connections", "{}", st.rejected_connections);
    field!(out, "sync_full", "0");
    field!(out, "sync_partial_ok", "0");
    field!(out, "sync_partial_err", "0");
    field!(out, "expired_keys", "{}", st.expired_keys);
    field!(
        out,
        "expired_stale_perc",
        "{:.2}",
        srv.active_expire.stale_perc * 100.0
    );
    field!(
        out,
        "expired_time_cap_reached_count",
        "{}",
        srv.active_expire.time_cap_reached
    );
    field!(out, "expire_cycle_cpu_milliseconds", "0");
    field!(out, "evicted_keys", "{}", st.evicted_keys);
    field!(out, "evicted_clients", "0");
    field!(out, "total_eviction_exceeded_time", "0");
    field!(out, "current_eviction_exceeded_time", "0");
    field!(out, "keyspace_hits", "{}", st.keyspace_hits);
    field!(out, "keyspace_misses", "{}", st.keyspace_misses);
    field!(out, "pubsub_channels", "{}", srv.pubsub.channel_count());
    field!(out, "pubsub_patterns", "{}", srv.pubsub.pattern_count());
    field!(
        out,
        "pubsubshard_channels",
        "{}",
        srv.pubsub.shard_channel_count()
    );
    field!(out, "latest_fork_usec", "{}", srv.persist.last_fork_usec);
    field!(out, "total_forks", "{}", srv.persist.total_forks);
    field!(out, "migrate_cached_sockets", "0");
    field!(out, "slave_expires_tracked_keys", "0");
    field!(out, "active_defrag_hits", "0");
    field!(out, "active_defrag_misses", "0");
    field!(out, "active_defrag_key_hits", "0");
    field!(out, "active_defrag_key_misses", "0");
    field!(out, "total_active_defrag_time", "0");
    field!(out, "current_active_defrag_time", "0");
    field!(out, "tracking_total_keys", "{}", srv.tracking.total_keys());
    field!(
        out,
        "tracking_total_items",
        "{}",
        srv.tracking.total_items()
    );
    field!(
        out,
        "tracking_total_prefixes",
        "{}",
        srv.tracking.total_prefixes()
    );
    field!(
        out,
        "unexpected_error_replies",
        "{}",
        st.unexpected_error_replies
    );
    field!(out, "total_error_replies", "{}", st.total_error_replies);
    field!(out, "dump_payload_sanitizations", "0");
    field!(out, "io_threaded_reads_processed", "0");
    field!(out, "io_threaded_writes_processed", "0");
    field!(out, "reply_buffer_shrinks", "0");
    field!(out, "reply_buffer_expands", "0");
    // Beyond Redis 7.0: the disconnection counters Redis 7.2 added, and ferrodis's
    // `client-request-timeout` closes.
    field!(
        out,
        "client_query_buffer_limit_disconnections",
        "{}",
        st.client_qbuf_limit_disconnections
    );
    field!(
        out,
        "client_output_buffer_limit_disconnections",
        "{}",
        st.client_outbuf_limit_disconnections
    );
    field!(
        out,
        "client_request_timeouts",
        "{}",
        st.client_request_timeouts
    );
}

fn replication_section(srv: &mut Server, out: &mut String) {
    let replid = master_replid(srv);
    field!(out, "role", "master");
    field!(out, "connected_slaves", "0");
    field!(out, "master_failover_state", "no-failover");
    field!(out, "master_replid", "{replid}");
    field!(
        out,
        "master_replid2",
        "0000000000000000000000000000000000000000"
    );
    field!(out, "master_repl_offset", "0");
    field!(out, "second_repl_offset", "-1");
    field!(out, "repl_backlog_active", "0");
    field!(out, "repl_backlog_size", "1048576");
    field!(out, "repl_backlog_first_byte_offset", "0");
    field!(out, "repl_backlog_histlen", "0");
}

fn commandstats_section(srv: &mut Server, out: &mut String) {
    let reg = super::table::registry();
    let mut rows: Vec<(&str, crate::state::CommandStat)> = srv
        .command_stats
        .iter()
        .enumerate()
        .filter(|(_, s)| s.calls > 0 || s.rejected > 0 || s.failed > 0)
        .map(|(id, s)| (reg.full_name(id), *s))
        .collect();
    rows.sort_by(|a, b| a.0.cmp(b.0));
    for (name, s) in rows {
        let per_call = if s.calls > 0 {
            s.usec as f64 / s.calls as f64
        } else {
            0.0
        };
        field!(
            out,
            format_args!("cmdstat_{name}"),
            "calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}",
            s.calls,
            s.usec,
            s.rejected,
            s.failed
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_like_redis() {
        assert_eq!(bytes_to_human(0), "0B");
        assert_eq!(bytes_to_human(1023), "1023B");
        assert_eq!(bytes_to_human(965712), "943.08K");
        assert_eq!(bytes_to_human(7024640), "6.70M");
        assert_eq!(bytes_to_human(25276063744), "23.54G");
    }

    #[test]
    fn selection() {
        let default = Selection::default_set();
        assert_eq!(Selection::from_args(std::iter::empty()), default);
        assert_eq!(Selection::from_args([&b"DEFAULT"[..]].into_iter()), default);
        assert_eq!(
            Selection::from_args([&b"everything"[..]].into_iter()),
            Selection::all()
        );
        assert_eq!(
            Selection::from_args([&b"nosuch"[..]].into_iter()),
            Selection(0)
        );
        let cpu = Selection::from_args([&b"CPU"[..]].into_iter());
        assert!(cpu.has(6) && cpu.0.count_ones() == 1);
    }
}
