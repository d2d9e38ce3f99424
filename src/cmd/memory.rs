//! MEMORY subcommands: USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, HELP.
//!
//! Replies, errors and the order of the STATS fields follow Redis 7.0's `memoryCommand` and
//! `getMemoryOverheadData` (object.c). The figures are ferrodis's own: the counting allocator
//! (`src/alloc.rs`) for what the process holds, the encodings' `heap_size` for a key's value,
//! glibc's `mallinfo2` for the allocator's view, `/proc` for the resident size. ferrodis runs
//! on the system allocator, so MALLOC-STATS answers as a Redis built without jemalloc does.

use std::mem::size_of;

use super::table::{flags::*, key_flags::*, tips::*, Command, Group, KeySpec};
use super::{CmdError, CmdResult, Ctx};
use crate::resp::Args;
use crate::state::Server;

pub static COMMANDS: &[Command] = &[Command::new("memory", -2, container)
    .group(Group::Server)
    .summary("A container for memory diagnostics commands")
    .since("4.0.0")
    .complexity("Depends on subcommand.")
    .subcommands(SUBCOMMANDS)];

/// Tips of the subcommands whose answer differs per node and is merged specially.
const PER_NODE_REPORT: &[&str] = &[
    NONDETERMINISTIC_OUTPUT,
    REQUEST_ALL_SHARDS,
    RESPONSE_SPECIAL,
];

const SUBCOMMANDS: &[Command] = &[
    Command::new("doctor", 2, memory_doctor)
        .group(Group::Server)
        .tips(PER_NODE_REPORT)
        .summary("Outputs memory problems report")
        .since("4.0.0")
        .complexity("O(1)"),
    Command::new("help", 2, memory_help)
        .group(Group::Server)
        .flags(LOADING | STALE)
        .summary("Show helpful text about the different subcommands")
        .since("4.0.0")
        .complexity("O(1)"),
    Command::new("malloc-stats", 2, memory_malloc_stats)
        .group(Group::Server)
        .tips(PER_NODE_REPORT)
        .summary("Show allocator internal stats")
        .since("4.0.0")
        .complexity("Depends on how much memory is allocated, could be slow"),
    Command::new("purge", 2, memory_purge)
        .group(Group::Server)
        .tips(&[REQUEST_ALL_SHARDS, RESPONSE_ALL_SUCCEEDED])
        .summary("Ask the allocator to release memory")
        .since("4.0.0")
        .complexity("Depends on how much memory is allocated, could be slow"),
    Command::new("stats", 2, memory_stats)
        .group(Group::Server)
        .tips(PER_NODE_REPORT)
        .summary("Show memory usage details")
        .since("4.0.0")
        .complexity("O(1)"),
    Command::new("usage", -3, memory_usage)
        .group(Group::Server)
        .flags(READONLY)
        .keys(&[KeySpec::at(2).flags(RO)])
        .summary("Estimate the memory usage of a key")
        .since("4.0.0")
        .complexity("O(N) where N is the number of samples.")
        .args("key:key ?SAMPLES=count:integer"),
];

/// Handler of the bare container: the dispatcher routes subcommands and rejects `MEMORY`
/// alone on arity, so this only guards against misuse.
fn container(_ctx: &mut Ctx, _args: &Args) -> CmdResult {
    Err(CmdError::err(
        "wrong number of arguments for 'memory' command",
    ))
}

/// Redis 7.0's MEMORY HELP, as the 7.0.15 server prints it.
const HELP: &[&str] = &[
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
];

fn memory_help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    super::server::reply_help(ctx, "MEMORY", HELP);
    Ok(())
}

/// MEMORY USAGE key [SAMPLES count]: the bytes the key costs: its slot in the database's
/// table (entry and index share), the key's and the value's heap bytes. The options are
/// checked before the key is looked up, and the lookup neither expires nor touches the key,
/// as Redis's `dictFind`. ferrodis's encodings know their sizes exactly, so SAMPLES is
/// validated and the figure is exact rather than extrapolated from samples.
fn memory_usage(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut j = 3;
    while j < args.len() {
        if args[j].eq_ignore_ascii_case(b"samples") && j + 1 < args.len() {
            let samples = super::arg_i64(&args[j + 1])?;
            if samples < 0 {
                return Err(CmdError::Syntax);
            }
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let (db, out) = ctx.db_out();
    let Some(entry) = db.find(&args[2]).and_then(|slot| db.entry(slot)) else {
        out.null();
        return Ok(());
    };
    let usage = key_slot_bytes() + entry.key.heap_size() + entry.value.heap_size();
    out.int(usage as i64);
    Ok(())
}

/// What one key costs in its database's tables besides its key and value bytes: the table
/// entry and its index word (Redis counts the `dictEntry` and the object header).
fn key_slot_bytes() -> usize {
    size_of::<crate::store::db::Entry>() + size_of::<u64>()
}

/// The allocator's view (glibc `mallinfo2`): bytes handed out, and bytes taken from the
/// system (heap arenas plus mmapped blocks); each at least what the counting allocator saw.
fn allocator_figures(used: usize) -> (usize, usize) {
    // SAFETY: mallinfo2 only reads the allocator's statistics.
    let info = unsafe { libc::mallinfo2() };
    let allocated = (info.uordblks + info.hblkhd).max(used);
    let active = (info.arena + info.hblkhd).max(allocated);
    (allocated, active)
}

/// Redis's `struct redisMemOverhead`, from ferrodis's figures.
struct Overhead {
    peak: usize,
    total: usize,
    startup: usize,
    clients_normal: usize,
    /// (db index, main table bytes, expires table bytes, keys) of each non-empty database.
    dbs: Vec<(usize, usize, usize, usize)>,
    overhead_total: usize,
    keys: usize,
    bytes_per_key: usize,
    dataset: usize,
    dataset_perc: f32,
    peak_perc: f32,
    allocator_allocated: usize,
    allocator_active: usize,
    allocator_resident: usize,
    rss: usize,
}

impl Overhead {
    fn gather(srv: &mut Server) -> Overhead {
        let total = crate::alloc::allocated();
        srv.peak_memory = srv.peak_memory.max(total);
        let peak = srv.peak_memory;
        let startup = srv.startup_allocated;
        let clients_normal: usize = srv
            .clients
            .iter()
            .map(|(_, c)| super::client::client_total_memory(c))
            .sum();
        let mut overhead_total = startup + clients_normal;
        let mut keys = 0;
        let mut dbs = Vec::new();
        for (i, db) in srv.dbs.iter().enumerate() {
            if db.is_empty() {
                continue;
            }
            let expires = db.expires_len() * 16;
            let main = db.table_bytes().saturating_sub(expires);
            overhead_total += main + expires;
            keys += db.len();
            dbs.push((i, main, expires, db.len()));
        }
        let net = total.saturating_sub(startup);
        let dataset = total.saturating_sub(overhead_total);
        let (allocator_allocated, allocator_active) = allocator_figures(total);
        let rss = crate::alloc::rss_bytes();
        Overhead {
            peak,
            total,
            startup,
            clients_normal,
            dbs,
            overhead_total,
            keys,
            bytes_per_key: net.checked_div(keys).unwrap_or(0),
            dataset,
            dataset_perc: if net > 0 {
                dataset as f32 * 100.0 / net as f32
            } else {
                0.0
            },
            peak_perc: if peak > 0 {
                total as f32 * 100.0 / peak as f32
            } else {
                0.0
            },
            allocator_allocated,
            allocator_active,
            // The system allocator does not say what of its memory is resident: the whole
            // process's resident size stands in, so the RSS overhead below it is nil.
            allocator_resident: rss,
            rss,
        }
    }

    fn allocator_frag(&self) -> (f32, i64) {
        ratio(self.allocator_active, self.allocator_allocated)
    }

    fn allocator_rss(&self) -> (f32, i64) {
        ratio(self.allocator_resident, self.allocator_active)
    }

    fn rss_extra(&self) -> (f32, i64) {
        ratio(self.rss, self.allocator_resident)
    }

    fn total_frag(&self) -> (f32, i64) {
        ratio(self.rss, self.total)
    }
}

/// `a / b` as Redis's float fields hold it, and `a - b` in bytes.
fn ratio(a: usize, b: usize) -> (f32, i64) {
    let r = if b > 0 { a as f32 / b as f32 } else { 0.0 };
    (r, a as i64 - b as i64)
}

/// MEMORY STATS: Redis 7.0's map, in its order, with a `db.<n>` map for each database that
/// holds keys. Replication, cluster, AOF and scripting do not exist here and report 0.
fn memory_stats(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let mh = Overhead::gather(ctx.srv);
    let out = &mut *ctx.out;
    let int = |out: &mut crate::resp::Reply, name: &str, v: i64| {
        out.bulk(name.as_bytes());
        out.int(v);
    };
    let double = |out: &mut crate::resp::Reply, name: &str, v: f32| {
        out.bulk(name.as_bytes());
        out.double(f64::from(v));
    };
    out.map(27 + mh.dbs.len());
    int(out, "peak.allocated", mh.peak as i64);
    int(out, "total.allocated", mh.total as i64);
    int(out, "startup.allocated", mh.startup as i64);
    int(out, "replication.backlog", 0);
    int(out, "clients.slaves", 0);
    int(out, "clients.normal", mh.clients_normal as i64);
    int(out, "cluster.links", 0);
    int(out, "aof.buffer", 0);
    int(out, "lua.caches", 0);
    int(out, "functions.caches", 0);
    let mut name = String::new();
    for &(index, main, expires, _) in &mh.dbs {
        name.clear();
        name.push_str("db.");
        name.push_str(itoa::Buffer::new().format(index));
        out.bulk(name.as_bytes());
        out.map(3);
        int(out, "overhead.hashtable.main", main as i64);
        int(out, "overhead.hashtable.expires", expires as i64);
        int(out, "overhead.hashtable.slot-to-keys", 0);
    }
    int(out, "overhead.total", mh.overhead_total as i64);
    int(out, "keys.count", mh.keys as i64);
    int(out, "keys.bytes-per-key", mh.bytes_per_key as i64);
    int(out, "dataset.bytes", mh.dataset as i64);
    double(out, "dataset.percentage", mh.dataset_perc);
    double(out, "peak.percentage", mh.peak_perc);
    int(out, "allocator.allocated", mh.allocator_allocated as i64);
    int(out, "allocator.active", mh.allocator_active as i64);
    int(out, "allocator.resident", mh.allocator_resident as i64);
    let (frag, frag_bytes) = mh.allocator_frag();
    double(out, "allocator-fragmentation.ratio", frag);
    int(out, "allocator-fragmentation.bytes", frag_bytes);
    let (rss, rss_bytes) = mh.allocator_rss();
    double(out, "allocator-rss.ratio", rss);
    int(out, "allocator-rss.bytes", rss_bytes);
    let (extra, extra_bytes) = mh.rss_extra();
    double(out, "rss-overhead.ratio", extra);
    int(out, "rss-overhead.bytes", extra_bytes);
    let (total_frag, total_frag_bytes) = mh.total_frag();
    double(out, "fragmentation", total_frag);
    int(out, "fragmentation.bytes", total_frag_bytes);
    Ok(())
}

/// Below this much allocated memory MEMORY DOCTOR declines to judge (Redis: 5 MiB).
const DOCTOR_MIN_BYTES: usize = 5 * 1024 * 1024;
/// Fragmentation and RSS overheads matter only above this many bytes (Redis: 10 MiB).
const DOCTOR_OVERHEAD_BYTES: i64 = 10 << 20;
/// Average client memory above which the clients' buffers are reported (Redis: 200 KiB).
const DOCTOR_CLIENT_BYTES: usize = 200 * 1024;

const DOCTOR_NO_ISSUE: &str = "Hi Sam, I can't find any memory issue in your instance. I can \
    only account for what occurs on this base.\n";
const DOCTOR_EMPTY: &str = "Hi Sam, this instance is empty or is using very little memory, my \
    issues detector can't be used in these conditions. Please, leave for your mission on Earth \
    and fill it with some data. The new Sam and I will be back to our programming as soon as I \
    finished rebooting.\n";
const DOCTOR_HEADER: &str = "Sam, I detected a few issues in this Redis instance memory \
    implants:\n\n";
const DOCTOR_PEAK: &str = " * Peak memory: In the past this instance used more than 150% the \
    memory that is currently using. The allocator is normally not able to release memory after \
    a peak, so you can expect to see a big fragmentation ratio, however this is actually \
    harmless and is only due to the memory peak, and if the Redis instance Resident Set Size \
    (RSS) is currently bigger than expected, the memory will be used as soon as you fill the \
    Redis instance with more data. If the memory peak was only occasional and you want to try \
    to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is \
    to shutdown and restart the instance.\n\n";
const DOCTOR_FRAG: &str = " * High total RSS: This instance has a memory fragmentation and RSS \
    overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is \
    much larger than the sum of the logical allocations Redis performed). This problem is \
    usually due either to a large peak memory (check if there is a peak memory entry above in \
    the report) or may result from a workload that causes the allocator to fragment memory a \
    lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure \
    you are using the Jemalloc allocator and not the default libc malloc. Note: The currently \
    used allocator is \"libc\".\n\n";
const DOCTOR_ALLOC_FRAG: &str = " * High allocator fragmentation: This instance has an \
    allocator external fragmentation greater than 1.1. This problem is usually due either to a \
    large peak memory (check if there is a peak memory entry above in the report) or may result \
    from a workload that causes the allocator to fragment memory a lot. You can try enabling \
    'activedefrag' config option.\n\n";
const DOCTOR_ALLOC_RSS: &str = " * High allocator RSS overhead: This instance has an RSS memory \
    overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is \
    much larger than the sum what the allocator actually holds). This problem is usually due to \
    a large peak memory (check if there is a peak memory entry above in the report), you can \
    try the MEMORY PURGE command to reclaim it.\n\n";
const DOCTOR_PROC_RSS: &str = " * High process RSS overhead: This instance has non-allocator RSS \
    memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis \
    process is much larger than the RSS the allocator holds). This problem may be due to Lua \
    scripts or Modules.\n\n";
const DOCTOR_CLIENTS: &str = " * Big client buffers: The clients output buffers in this instance \
    are greater than 200K per client (on average). This may result from different causes, like \
    Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data \
    piles on the Redis instance output buffer, or clients sending commands with large replies \
    or very large sequences of commands in the same pipeline. Please use the CLIENT LIST \
    command in order to investigate the issue if it causes problems in your instance, or to \
    understand better why certain clients are using a big amount of memory.\n\n";
const DOCTOR_FOOTER: &str = "I'm here to keep you safe, Sam. I want to help you.\n";

/// The MEMORY DOCTOR report, by Redis 7.0's rules (`getMemoryDoctorReport`).
fn doctor_report(mh: &Overhead, clients: usize) -> String {
    if mh.total < DOCTOR_MIN_BYTES {
        return DOCTOR_EMPTY.to_string();
    }
    let over = |(r, bytes): (f32, i64), limit: f32| r > limit && bytes > DOCTOR_OVERHEAD_BYTES;
    let issues = [
        (mh.peak as f32 / mh.total as f32 > 1.5, DOCTOR_PEAK),
        (over(mh.total_frag(), 1.4), DOCTOR_FRAG),
        (over(mh.allocator_frag(), 1.1), DOCTOR_ALLOC_FRAG),
        (over(mh.allocator_rss(), 1.1), DOCTOR_ALLOC_RSS),
        (over(mh.rss_extra(), 1.1), DOCTOR_PROC_RSS),
        (
            clients > 0 && mh.clients_normal / clients > DOCTOR_CLIENT_BYTES,
            DOCTOR_CLIENTS,
        ),
    ];
    if !issues.iter().any(|(found, _)| *found) {
        return DOCTOR_NO_ISSUE.to_string();
    }
    let mut report = DOCTOR_HEADER.to_string();
    for (_, text) in issues.iter().filter(|(found, _)| *found) {
        report.push_str(text);
    }
    report.push_str(DOCTOR_FOOTER);
    report
}

fn memory_doctor(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let mh = Overhead::gather(ctx.srv);
    let report = doctor_report(&mh, ctx.srv.clients.len());
    ctx.out.verbatim(report.as_bytes());
    Ok(())
}

/// What a Redis built on the system allocator answers (jemalloc prints its statistics).
fn memory_malloc_stats(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.out
        .bulk(b"Stats not supported for the current allocator");
    Ok(())
}

/// MEMORY PURGE: hands the allocator's free pages back to the system (`malloc_trim`).
fn memory_purge(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    // SAFETY: malloc_trim only returns free heap pages to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
    ctx.out.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overhead(total: usize, peak: usize, rss: usize) -> Overhead {
        Overhead {
            peak,
            total,
            startup: 0,
            clients_normal: 0,
            dbs: Vec::new(),
            overhead_total: 0,
            keys: 0,
            bytes_per_key: 0,
            dataset: 0,
            dataset_perc: 0.0,
            peak_perc: 0.0,
            allocator_allocated: total,
            allocator_active: total,
            allocator_resident: rss,
            rss,
        }
    }

    #[test]
    fn doctor_reports_by_redis_rules() {
        let mb = 1024 * 1024;
        assert_eq!(doctor_report(&overhead(mb, mb, 2 * mb), 1), DOCTOR_EMPTY);
        assert_eq!(
            doctor_report(&overhead(100 * mb, 100 * mb, 110 * mb), 1),
            DOCTOR_NO_ISSUE
        );
        let report = doctor_report(&overhead(100 * mb, 200 * mb, 100 * mb), 1);
        assert!(report.starts_with(DOCTOR_HEADER));
        assert!(report.contains(" * Peak memory:"));
        assert!(report.ends_with(DOCTOR_FOOTER));
        let report = doctor_report(&overhead(100 * mb, 100 * mb, 200 * mb), 1);
        assert!(report.contains(" * High total RSS:"));
        assert!(report.contains(" * High allocator RSS overhead:"));
        assert!(!report.contains(" * Peak memory:"));
    }
}
