//! Client-side caching commands: CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR and
//! CLIENT TRACKINGINFO, with Redis 7.0's option checks and errors. The tables and the
//! invalidation messages live in `state/tracking.rs`.

use super::{arg_i64, CmdError, CmdResult, Ctx, ErrorText};
use crate::resp::Args;
use crate::state::tracking::{ClientTracking, PrefixCollision};

/// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX prefix ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
pub fn client_tracking(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut mode = ClientTracking::default();
    let mut prefixes: Vec<&[u8]> = Vec::new();
    let mut j = 3;
    while j < args.len() {
        let opt = &args[j];
        let more = j + 1 < args.len();
        if opt.eq_ignore_ascii_case(b"redirect") && more {
            j += 1;
            if mode.redirect != 0 {
                return Err("ERR A client can only redirect to a single other client".into());
            }
            let id = arg_i64(&args[j])?;
            // The target must exist now (it may disconnect later: the redirect then breaks).
            let exists = u64::try_from(id)
                .ok()
                .and_then(|id| ctx.srv.client_key_by_id(id))
                .is_some();
            if !exists {
                return Err("ERR The client ID you want redirect to does not exist".into());
            }
            mode.redirect = id as u64;
        } else if opt.eq_ignore_ascii_case(b"bcast") {
            mode.bcast = true;
        } else if opt.eq_ignore_ascii_case(b"optin") {
            mode.optin = true;
        } else if opt.eq_ignore_ascii_case(b"optout") {
            mode.optout = true;
        } else if opt.eq_ignore_ascii_case(b"noloop") {
            mode.noloop = true;
        } else if opt.eq_ignore_ascii_case(b"prefix") && more {
            j += 1;
            prefixes.push(&args[j]);
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if args[2].eq_ignore_ascii_case(b"on") {
        if !mode.bcast && !prefixes.is_empty() {
            return Err("ERR PREFIX option requires BCAST mode to be enabled".into());
        }
        let current = ctx.client_ref().tracking.as_deref().cloned();
        if let Some(cur) = &current {
            if cur.bcast != mode.bcast {
                return Err(
                    "ERR You can't switch BCAST mode on/off before disabling tracking \
                            for this client, and then re-enabling it with a different mode."
                        .into(),
                );
            }
        }
        if mode.bcast && (mode.optin || mode.optout) {
            return Err("ERR OPTIN and OPTOUT are not compatible with BCAST".into());
        }
        if mode.optin && mode.optout {
            return Err("ERR You can't specify both OPTIN mode and OPTOUT mode".into());
        }
        if let Some(cur) = &current {
            if (mode.optin && cur.optout) || (mode.optout && cur.optin) {
                return Err(
                    "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking \
                            for this client, and then re-enabling it with a different mode."
                        .into(),
                );
            }
        }
        if let Some(collision) = mode
            .bcast
            .then(|| ctx.srv.prefix_collision(ctx.client_key, &prefixes))
            .flatten()
        {
            let (new, other, with) = match collision {
                PrefixCollision::Existing(p, old) => (p, old, "an existing"),
                PrefixCollision::Given(p, other) => (p, other, "another provided"),
            };
            return Err(ErrorText::new("ERR Prefix '")
                .arg(new)
                .text("' overlaps with ")
                .text(with)
                .text(" prefix '")
                .arg(&other)
                .text("'. Prefixes for a single client must not overlap.")
                .done());
        }
        ctx.srv.enable_tracking(ctx.client_key, mode, &prefixes);
    } else if args[2].eq_ignore_ascii_case(b"off") {
        ctx.srv.disable_tracking(ctx.client_key);
    } else {
        return Err(CmdError::Syntax);
    }
    ctx.out.ok();
    Ok(())
}

/// CLIENT CACHING YES|NO: whether the next command's keys are tracked (OPTIN / OPTOUT).
pub fn client_caching(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(state) = ctx.client().tracking.as_mut() else {
        return Err(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode \
                    with OPTIN or OPTOUT mode enabled"
                .into(),
        );
    };
    let opt = &args[2];
    if opt.eq_ignore_ascii_case(b"yes") {
        if !state.optin {
            return Err(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN \
                        mode."
                    .into(),
            );
        }
    } else if opt.eq_ignore_ascii_case(b"no") {
        if !state.optout {
            return Err(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT \
                        mode."
                    .into(),
            );
        }
    } else {
        return Err(CmdError::Syntax);
    }
    state.caching = true;
    ctx.out.ok();
    Ok(())
}

/// CLIENT GETREDIR: the redirect target's id, 0 when not redirecting, -1 when not tracking.
pub fn client_getredir(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let redir = ctx
        .client_ref()
        .tracking
        .as_ref()
        .map_or(-1, |t| t.redirect as i64);
    ctx.out.int(redir);
    Ok(())
}

/// CLIENT TRACKINGINFO: flags (a set), redirect and prefixes, as Redis 7.0 orders them.
pub fn client_trackinginfo(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let state = ctx.client_ref().tracking.as_deref().cloned();
    let mut flags: Vec<&[u8]> = Vec::new();
    match &state {
        None => flags.push(b"off"),
        Some(t) => {
            flags.push(b"on");
            if t.bcast {
                flags.push(b"bcast");
            }
            if t.optin {
                flags.push(b"optin");
                if t.caching {
                    flags.push(b"caching-yes");
                }
            }
            if t.optout {
                flags.push(b"optout");
                if t.caching {
                    flags.push(b"caching-no");
                }
            }
            if t.noloop {
                flags.push(b"noloop");
            }
            if t.broken_redirect {
                flags.push(b"broken_redirect");
            }
        }
    }
    let out = &mut *ctx.out;
    out.map(3);
    out.bulk(b"flags");
    out.set(flags.len());
    for f in flags {
        out.bulk(f);
    }
    out.bulk(b"redirect");
    out.int(state.as_ref().map_or(-1, |t| t.redirect as i64));
    out.bulk(b"prefixes");
    let prefixes = state.as_ref().map(|t| &t.prefixes);
    out.array(prefixes.map_or(0, |p| p.len()));
    for p in prefixes.into_iter().flatten() {
        out.bulk(p);
    }
    Ok(())
}
