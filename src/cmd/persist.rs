//! Persistence commands: SAVE, BGSAVE, SHUTDOWN, and the per-key serialisation DUMP / RESTORE.
//! The snapshot mechanics live in `state::snapshot`, the RDB encoding in `persist`.

use super::table::{acl, flags::*, key_flags::*, tips::*, Command, Group, KeySpec};
use super::{arg_i64, ev, CmdError, CmdResult, Ctx};
use crate::persist::{dump_payload, restore_payload, RestoreError};
use crate::resp::Args;
use crate::state::snapshot::{self, BgsaveError, FinalSave};
use crate::store::{evict, SmallBytes};

pub static COMMANDS: &[Command] = &[
    Command::new("save", 1, save)
        .group(Group::Server)
        .flags(ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI)
        .summary("Synchronously save the dataset to disk")
        .since("1.0.0")
        .complexity("O(N) where N is the total number of keys in all databases"),
    Command::new("bgsave", -1, bgsave)
        .group(Group::Server)
        .flags(ADMIN | NOSCRIPT | NO_ASYNC_LOADING)
        .summary("Asynchronously save the dataset to disk")
        .since("1.0.0")
        .complexity("O(1)")
        .history(&[("3.2.2", "Added the `SCHEDULE` option.")])
        .args("?SCHEDULE@3.2.2"),
    Command::new("shutdown", -1, shutdown)
        .group(Group::Server)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY)
        .summary("Synchronously save the dataset to disk and then shut down the server")
        .since("1.0.0")
        .complexity("O(N) when saving, where N is the total number of keys in all databases \
                     when saving data, otherwise O(1)")
        .history(&[("7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers.")])
        .args("?nosave_save(NOSAVE|SAVE) ?NOW@7.0.0 ?FORCE@7.0.0 ?ABORT@7.0.0"),
    Command::new("dump", 2, dump)
        .group(Group::Generic)
        .flags(READONLY)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .tips(&[NONDETERMINISTIC_OUTPUT])
        .summary("Return a serialized version of the value stored at the specified key.")
        .since("2.6.0")
        .complexity("O(1) to access the key and additional O(N*M) to serialize it, where N is \
                     the number of Redis objects composing the value and M their average size. \
                     For small string values the time complexity is thus O(1)+O(1*M) where M \
                     is small, so simply O(1).")
        .args("key:key"),
    Command::new("restore", -4, restore)
        .group(Group::Generic)
        .flags(WRITE | DENYOOM)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .keys(&[KeySpec::at(1).flags(OW | UPDATE)])
        .summary("Create a key using the provided serialized value, previously obtained using \
                  DUMP.")
        .since("2.6.0")
        .complexity("O(1) to create the new key and additional O(N*M) to reconstruct the \
                     serialized value, where N is the number of Redis objects composing the \
                     value and M their average size. For small string values the time \
                     complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However \
                     for sorted set values the complexity is O(N*M*log(N)) because inserting \
                     values into sorted sets is O(log(N)).")
        .history(&[("3.0.0", "Added the `REPLACE` modifier."), ("5.0.0", "Added the `ABSTTL` modifier."), ("5.0.0", "Added the `IDLETIME` and `FREQ` options.")])
        .args("key:key ttl:integer serialized-value ?REPLACE@3.0.0 ?ABSTTL@5.0.0 ?IDLETIME=seconds:integer@5.0.0 ?FREQ=frequency:integer@5.0.0"),
];

const BGSAVE_RUNNING: &str = "ERR Background save already in progress";

fn save(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    if ctx.srv.persist.child.is_some() {
        return Err(BGSAVE_RUNNING.into());
    }
    // Redis answers a bare `-ERR` (its shared error) and logs the cause.
    snapshot::save(ctx.srv).map_err(|_| CmdError::from("ERR"))?;
    ctx.srv.persist.saves += 1;
    ctx.out.ok();
    Ok(())
}

fn bgsave(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let schedule = match args.len() {
        1 => false,
        2 if args[1].eq_ignore_ascii_case(b"schedule") => true,
        _ => return Err(CmdError::Syntax),
    };
    if ctx.srv.persist.child.is_some() {
        if schedule {
            ctx.srv.persist.scheduled = true;
            ctx.out.simple("Background saving scheduled");
            return Ok(());
        }
        return Err(BGSAVE_RUNNING.into());
    }
    match snapshot::bgsave(ctx.srv) {
        Ok(()) => {
            ctx.out.simple("Background saving started");
            Ok(())
        }
        Err(BgsaveError::AlreadyRunning) => Err(BGSAVE_RUNNING.into()),
        Err(BgsaveError::ForkFailed) => Err("ERR".into()),
    }
}

fn shutdown(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (mut mode, mut force, mut abort, mut now) = (FinalSave::Default, false, false, false);
    for opt in args.iter().skip(1) {
        if opt.eq_ignore_ascii_case(b"nosave") && mode != FinalSave::Save {
            mode = FinalSave::NoSave;
        } else if opt.eq_ignore_ascii_case(b"save") && mode != FinalSave::NoSave {
            mode = FinalSave::Save;
        } else if opt.eq_ignore_ascii_case(b"now") {
            // Without replicas there is nothing to wait for: NOW changes nothing else.
            now = true;
        } else if opt.eq_ignore_ascii_case(b"force") {
            force = true;
        } else if opt.eq_ignore_ascii_case(b"abort") {
            abort = true;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if abort {
        // ABORT takes no other option (repeating it is fine, as in Redis).
        if mode != FinalSave::Default || force || now {
            return Err(CmdError::Syntax);
        }
        // Shutdown never waits for replicas here, so none is ever in progress.
        return Err("ERR No shutdown in progress.".into());
    }
    if snapshot::prepare_shutdown(ctx.srv, mode, force).is_err() {
        return Err("ERR Errors trying to SHUTDOWN. Check logs.".into());
    }
    // No reply: the connection closes when the process exits, as with Redis.
    ctx.srv.shutdown_requested = true;
    Ok(())
}

fn dump(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(slot) = ctx.lookup_read(&args[1]) else {
        ctx.out.null();
        return Ok(());
    };
    let payload = match ctx.srv.dbs[ctx.db_index()].entry(slot) {
        Some(entry) => dump_payload(&entry.value, &ctx.srv.config),
        None => {
            ctx.out.null();
            return Ok(());
        }
    };
    ctx.out.bulk(&payload);
    Ok(())
}

/// RESTORE's options after the payload.
struct RestoreOptions {
    replace: bool,
    absttl: bool,
    idle_secs: Option<i64>,
    freq: Option<i64>,
}

fn restore_options(args: &Args) -> Result<RestoreOptions, CmdError> {
    let mut opts = RestoreOptions {
        replace: false,
        absttl: false,
        idle_secs: None,
        freq: None,
    };
    let mut j = 4;
    while j < args.len() {
        let opt = &args[j];
        let has_value = j + 1 < args.len();
        if opt.eq_ignore_ascii_case(b"replace") {
            opts.replace = true;
        } else if opt.eq_ignore_ascii_case(b"absttl") {
            opts.absttl = true;
        } else if opt.eq_ignore_ascii_case(b"idletime") && has_value && opts.freq.is_none() {
            let idle = arg_i64(&args[j + 1])?;
            if idle < 0 {
                return Err(CmdError::err("Invalid IDLETIME value, must be >= 0"));
            }
            opts.idle_secs = Some(idle);
            j += 1;
        } else if opt.eq_ignore_ascii_case(b"freq") && has_value && opts.idle_secs.is_none() {
            let freq = arg_i64(&args[j + 1])?;
            if !(0..=255).contains(&freq) {
                return Err(CmdError::err("Invalid FREQ value, must be >= 0 and <= 255"));
            }
            opts.freq = Some(freq);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(opts)
}

fn restore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let opts = restore_options(args)?;
    let key = &args[1];
    if !opts.replace && ctx.lookup_write(key).is_some() {
        return Err("BUSYKEY Target key name already exists.".into());
    }
    let mut ttl = arg_i64(&args[2])?;
    if ttl < 0 {
        return Err(CmdError::err("Invalid TTL value, must be >= 0"));
    }
    let value = restore_payload(&args[3], &ctx.srv.config).map_err(|e| match e {
        RestoreError::BadPayload => CmdError::err("DUMP payload version or checksum are wrong"),
        RestoreError::BadFormat => CmdError::err("Bad data format"),
    })?;
    let now = ctx.now_ms;
    let deleted = opts.replace && ctx.db().remove(key).is_some();
    if ttl > 0 && !opts.absttl {
        // Redis adds with C's (in practice wrapping) signed arithmetic: a huge relative TTL
        // wraps to a deadline in the past, and the key is treated as already expired.
        ttl = ttl.wrapping_add(now);
    }
    if ttl != 0 && ttl <= now {
        // Already expired: the key is gone (the replaced one too), as in Redis.
        if deleted {
            ctx.srv.dirty += 1;
            ctx.touch(key);
            ctx.notify(ev::GENERIC, "del", key);
        }
        ctx.out.ok();
        return Ok(());
    }
    let access = restored_access(ctx, &opts);
    let db = ctx.db();
    let slot = db.insert_new(SmallBytes::new(key), value, access);
    if ttl != 0 {
        db.set_expire(slot, ttl);
    }
    crate::cmd::blocking::signal_ready(ctx, key);
    ctx.srv.dirty += 1;
    ctx.touch(key);
    ctx.notify(ev::GENERIC, "restore", key);
    ctx.out.ok();
    Ok(())
}

/// The key's access field after RESTORE: IDLETIME under an LRU policy, FREQ under LFU,
/// otherwise what a new key gets (Redis's objectSetLRUOrLFU).
fn restored_access(ctx: &Ctx, opts: &RestoreOptions) -> u32 {
    let config = &ctx.srv.config;
    if config.maxmemory_policy.is_lfu() {
        if let Some(freq) = opts.freq {
            return evict::lfu_with_counter(ctx.now_ms, freq as u32);
        }
    } else if let Some(idle) = opts.idle_secs {
        return evict::lru_idle_clock(ctx.srv.lru_now, idle);
    }
    ctx.clock
}
