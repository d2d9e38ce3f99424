//! The settings with a syntax of their own (`bind`, `save`, `client-output-buffer-limit`),
//! parsed and checked as Redis 7.0's `config.c` special setters do.

use super::parse::{cstr, lossy, memtoull, split_args, strtoll};
use super::{Config, OutputLimit, BINDADDR_MAX};

/// `bind` (setConfigBindOption + the address check Redis does when it
/// re-binds): at most 16 addresses, a single empty value means none.
pub(super) fn set_bind(c: &mut Config, v: &[u8]) -> Result<(), String> {
    let args = split_args(v);
    if args.len() > BINDADDR_MAX {
        return Err("Too many bind addresses specified.".to_string());
    }
    let list: Vec<String> = if args.len() == 1 && args[0].is_empty() {
        Vec::new()
    } else {
        args.iter().map(|a| lossy(a)).collect()
    };
    if list.iter().any(|a| super::parse_bind_addr(a).is_none()) {
        return Err("Failed to bind to specified addresses.".to_string());
    }
    c.bind = list;
    Ok(())
}

/// `save` (setConfigSaveOption).
pub(super) fn set_save(c: &mut Config, v: &[u8]) -> Result<(), String> {
    const ERR: &str = "Invalid save parameters";
    let mut args = split_args(v);
    if args.len() == 1 && cstr(args[0]).is_empty() {
        args.clear();
    }
    if args.len() % 2 == 1 {
        return Err(ERR.to_string());
    }
    let mut save = Vec::with_capacity(args.len() / 2);
    for pair in args.chunks(2) {
        let (seconds, ok_s) = strtoll(pair[0]);
        let (changes, ok_c) = strtoll(pair[1]);
        if !ok_s || seconds < 1 || !ok_c || changes < 0 {
            return Err(ERR.to_string());
        }
        // Redis keeps `changes` in an int; values that wrap to a negative
        // int are refused here (Redis would store the negative number).
        let changes = changes as i32;
        if changes < 0 {
            return Err(ERR.to_string());
        }
        save.push((seconds as u64, changes as u64));
    }
    c.save = save;
    Ok(())
}

/// `client-output-buffer-limit` (setConfigClientOutputBufferLimitOption):
/// validates every group before changing any.
pub(super) fn set_output_limits(c: &mut Config, v: &[u8]) -> Result<(), String> {
    let args = split_args(v);
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".to_string());
    }
    let mut updates = Vec::with_capacity(args.len() / 4);
    for group in args.chunks(4) {
        let class = cstr(group[0]);
        let class = if class.eq_ignore_ascii_case(b"normal") {
            0
        } else if class.eq_ignore_ascii_case(b"slave") || class.eq_ignore_ascii_case(b"replica") {
            1
        } else if class.eq_ignore_ascii_case(b"pubsub") {
            2
        } else {
            // Unknown names and "master" alike.
            return Err(
                "Invalid client class specified in buffer limit configuration.".to_string(),
            );
        };
        let hard = memtoull(group[1]);
        let soft = memtoull(group[2]);
        let (secs, ok) = strtoll(group[3]);
        let secs = secs as i32; // Redis keeps soft_seconds in an int
        match (hard, soft) {
            (Some(hard), Some(soft)) if ok && secs >= 0 => updates.push((
                class,
                OutputLimit {
                    hard,
                    soft,
                    soft_seconds: secs as u64,
                },
            )),
            _ => {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit \
                            configuration."
                        .to_string(),
                )
            }
        }
    }
    for (class, limit) in updates {
        let l = &mut c.client_output_buffer_limit;
        match class {
            0 => l.normal = limit,
            1 => l.replica = limit,
            _ => l.pubsub = limit,
        }
    }
    Ok(())
}
