//! Pub/Sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB, and the sharded
//! SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH. Behaviour, replies and errors follow Redis 7.0's
//! `pubsub.c` (standalone: every shard channel lives on this one server).
//!
//! The registry and message delivery are in `state/pubsub.rs`. Confirmations and messages are
//! push frames: `>` in RESP3, arrays in RESP2. A RESP2 client with at least one subscription
//! may only run the commands whose table entry has the `SUBSCRIBED_OK` policy (the dispatcher
//! refuses the rest, as Redis does); a RESP3 client may run anything while subscribed, its
//! messages arriving between its replies. Channel and pattern confirmations count the client's
//! channels plus patterns; shard confirmations count its shard channels only, as Redis 7.0
//! counts them.

use super::server::{reply_help, subcommand_syntax_error};
use super::table::{flags::*, key_flags::*, policy::*, Command, Group, KeySpec};
use super::{CmdError, CmdResult, Ctx};
use crate::resp::Args;
use crate::state::pubsub::confirmation;

pub static COMMANDS: &[Command] = &[
    Command::new("subscribe", -2, subscribe)
        .group(Group::Pubsub)
        .policy(SUBSCRIBED_OK)
        .flags(PUBSUB | NOSCRIPT | LOADING | STALE)
        .summary("Listen for messages published to the given channels")
        .since("2.0.0")
        .complexity("O(N) where N is the number of channels to subscribe to.")
        .args("channel..."),
    Command::new("unsubscribe", -1, unsubscribe)
        .group(Group::Pubsub)
        .policy(SUBSCRIBED_OK)
        .flags(PUBSUB | NOSCRIPT | LOADING | STALE)
        .summary("Stop listening for messages posted to the given channels")
        .since("2.0.0")
        .complexity("O(N) where N is the number of clients already subscribed to a channel.")
        .args("?channel..."),
    Command::new("psubscribe", -2, psubscribe)
        .group(Group::Pubsub)
        .policy(SUBSCRIBED_OK)
        .flags(PUBSUB | NOSCRIPT | LOADING | STALE)
        .summary("Listen for messages published to channels matching the given patterns")
        .since("2.0.0")
        .complexity("O(N) where N is the number of patterns the client is already subscribed to.")
        .args("pattern...{pattern:pattern}"),
    Command::new("punsubscribe", -1, punsubscribe)
        .group(Group::Pubsub)
        .policy(SUBSCRIBED_OK)
        .flags(PUBSUB | NOSCRIPT | LOADING | STALE)
        .summary("Stop listening for messages posted to channels matching the given patterns")
        .since("2.0.0")
        .complexity(
            "O(N+M) where N is the number of patterns the client is already subscribed \
                     and M is the number of total patterns subscribed in the system (by any \
                     client).",
        )
        .args("?pattern:pattern..."),
    Command::new("ssubscribe", -2, ssubscribe)
        .group(Group::Pubsub)
        .policy(SUBSCRIBED_OK)
        .flags(PUBSUB | NOSCRIPT | LOADING | STALE)
        .keys(&[KeySpec::at(1).range(-1, 1, 0).flags(NOT_KEY)])
        .summary("Listen for messages published to the given shard channels")
        .since("7.0.0")
        .complexity("O(N) where N is the number of shard channels to subscribe to.")
        .args("shardchannel..."),
    Command::new("sunsubscribe", -1, sunsubscribe)
        .group(Group::Pubsub)
        .policy(SUBSCRIBED_OK)
        .flags(PUBSUB | NOSCRIPT | LOADING | STALE)
        .keys(&[KeySpec::at(1).range(-1, 1, 0).flags(NOT_KEY)])
        .summary("Stop listening for messages posted to the given shard channels")
        .since("7.0.0")
        .complexity("O(N) where N is the number of clients already subscribed to a shard channel.")
        .args("?shardchannel..."),
    Command::new("spublish", 3, spublish)
        .group(Group::Pubsub)
        .flags(PUBSUB | LOADING | STALE | FAST)
        .keys(&[KeySpec::at(1).flags(NOT_KEY)])
        .summary("Post a message to a shard channel")
        .since("7.0.0")
        .complexity(
            "O(N) where N is the number of clients subscribed to the receiving shard channel.",
        )
        .args("shardchannel message"),
    Command::new("publish", 3, publish)
        .group(Group::Pubsub)
        .flags(PUBSUB | LOADING | STALE | FAST)
        .summary("Post a message to a channel")
        .since("2.0.0")
        .complexity(
            "O(N+M) where N is the number of clients subscribed to the receiving \
                     channel and M is the total number of subscribed patterns (by any client).",
        )
        .args("channel message"),
    Command::new("pubsub", -2, pubsub_container)
        .group(Group::Pubsub)
        .summary("A container for Pub/Sub commands")
        .since("2.8.0")
        .complexity("Depends on subcommand.")
        .subcommands(PUBSUB_SUBCOMMANDS),
];

/// In the order Redis 7.0 lists them in COMMAND INFO / DOCS.
static PUBSUB_SUBCOMMANDS: &[Command] = &[
    Command::new("help", 2, pubsub_help)
        .group(Group::Pubsub)
        .flags(LOADING | STALE)
        .summary("Show helpful text about the different subcommands")
        .since("6.2.0")
        .complexity("O(1)"),
    Command::new("numpat", 2, pubsub_numpat)
        .group(Group::Pubsub)
        .flags(PUBSUB | LOADING | STALE)
        .summary("Get the count of unique patterns pattern subscriptions")
        .since("2.8.0")
        .complexity("O(1)"),
    Command::new("numsub", -2, pubsub_numsub)
        .group(Group::Pubsub)
        .flags(PUBSUB | LOADING | STALE)
        .summary("Get the count of subscribers for channels")
        .since("2.8.0")
        .complexity(
            "O(N) for the NUMSUB subcommand, where N is the number of requested \
                     channels",
        )
        .args("?channel..."),
    Command::new("shardchannels", -2, pubsub_shardchannels)
        .group(Group::Pubsub)
        .flags(PUBSUB | LOADING | STALE)
        .summary("List active shard channels")
        .since("7.0.0")
        .complexity(
            "O(N) where N is the number of active shard channels, and assuming \
                     constant time pattern matching (relatively short shard channels).",
        )
        .args("?pattern:pattern"),
    Command::new("channels", -2, pubsub_channels)
        .group(Group::Pubsub)
        .flags(PUBSUB | LOADING | STALE)
        .summary("List active channels")
        .since("2.8.0")
        .complexity(
            "O(N) where N is the number of active channels, and assuming constant \
                     time pattern matching (relatively short channels and patterns)",
        )
        .args("?pattern:pattern"),
    Command::new("shardnumsub", -2, pubsub_shardnumsub)
        .group(Group::Pubsub)
        .flags(PUBSUB | LOADING | STALE)
        .summary("Get the count of subscribers for shard channels")
        .since("7.0.0")
        .complexity(
            "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested \
                     shard channels",
        )
        .args("?shardchannel..."),
];

const PUBSUB_HELP: &[&str] = &[
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
];

fn subscribe(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let client = ctx.client_key;
    for channel in args.iter().skip(1) {
        ctx.srv.subscribe(client, channel);
        let count = ctx.srv.subscriptions(client);
        confirmation(ctx.out, "subscribe", Some(channel), count);
    }
    Ok(())
}

fn psubscribe(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let client = ctx.client_key;
    for pattern in args.iter().skip(1) {
        ctx.srv.psubscribe(client, pattern);
        let count = ctx.srv.subscriptions(client);
        confirmation(ctx.out, "psubscribe", Some(pattern), count);
    }
    Ok(())
}

fn unsubscribe(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let client = ctx.client_key;
    let names: Vec<Vec<u8>> = if args.len() > 1 {
        args.iter().skip(1).map(<[u8]>::to_vec).collect()
    } else {
        ctx.client_ref().channels.iter().cloned().collect()
    };
    if names.is_empty() {
        let count = ctx.srv.subscriptions(client);
        confirmation(ctx.out, "unsubscribe", None, count);
    }
    for channel in &names {
        ctx.srv.unsubscribe(client, channel);
        let count = ctx.srv.subscriptions(client);
        confirmation(ctx.out, "unsubscribe", Some(channel), count);
    }
    Ok(())
}

fn punsubscribe(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let client = ctx.client_key;
    if args.len() == 1 {
        // All of them at once; each confirmation counts the patterns still left after it.
        let patterns = ctx.srv.punsubscribe_all(client);
        let channels = ctx.srv.subscriptions(client);
        if patterns.is_empty() {
            confirmation(ctx.out, "punsubscribe", None, channels);
        }
        for (i, pattern) in patterns.iter().enumerate() {
            let left = channels + patterns.len() - i - 1;
            confirmation(ctx.out, "punsubscribe", Some(pattern), left);
        }
        return Ok(());
    }
    for pattern in args.iter().skip(1) {
        ctx.srv.punsubscribe(client, pattern);
        let count = ctx.srv.subscriptions(client);
        confirmation(ctx.out, "punsubscribe", Some(pattern), count);
    }
    Ok(())
}

/// PUBLISH channel message — O(N+M); a subscribed publisher gets its own message first.
fn publish(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let receivers = ctx.srv.publish(ctx.client_key, &args[1], &args[2], ctx.out);
    ctx.out.int(receivers as i64);
    Ok(())
}

/// SSUBSCRIBE shardchannel [shardchannel ...]
fn ssubscribe(ctx: &mut Ctx, args: &Args) -> CmdResult {
    // Redis 7.0 refuses it to a client that may not block, and EXEC runs its commands so;
    // unlike SUBSCRIBE, there is no exception for transactions.
    if ctx.client_ref().in_exec {
        return Err(CmdError::err(
            "SSUBSCRIBE isn't allowed for a DENY BLOCKING client",
        ));
    }
    let client = ctx.client_key;
    for channel in args.iter().skip(1) {
        ctx.srv.ssubscribe(client, channel);
        let count = ctx.srv.shard_subscriptions(client);
        confirmation(ctx.out, "ssubscribe", Some(channel), count);
    }
    Ok(())
}

/// SUNSUBSCRIBE [shardchannel ...]; without arguments, from every shard channel.
fn sunsubscribe(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let client = ctx.client_key;
    let names: Vec<Vec<u8>> = if args.len() > 1 {
        args.iter().skip(1).map(<[u8]>::to_vec).collect()
    } else {
        ctx.client_ref().shard_channels.iter().cloned().collect()
    };
    if names.is_empty() {
        let count = ctx.srv.shard_subscriptions(client);
        confirmation(ctx.out, "sunsubscribe", None, count);
    }
    for channel in &names {
        ctx.srv.sunsubscribe(client, channel);
        let count = ctx.srv.shard_subscriptions(client);
        confirmation(ctx.out, "sunsubscribe", Some(channel), count);
    }
    Ok(())
}

/// SPUBLISH shardchannel message — O(N); shard channels have no patterns.
fn spublish(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let receivers = ctx
        .srv
        .spublish(ctx.client_key, &args[1], &args[2], ctx.out);
    ctx.out.int(receivers as i64);
    Ok(())
}

fn pubsub_container(_ctx: &mut Ctx, _args: &Args) -> CmdResult {
    Err(CmdError::err(
        "wrong number of arguments for 'pubsub' command",
    ))
}

fn pubsub_help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    reply_help(ctx, "PUBSUB", PUBSUB_HELP);
    Ok(())
}

fn pubsub_numpat(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let n = ctx.srv.pubsub.pattern_count();
    ctx.out.int(n as i64);
    Ok(())
}

fn pubsub_numsub(ctx: &mut Ctx, args: &Args) -> CmdResult {
    ctx.out.array((args.len() - 2) * 2);
    for channel in args.iter().skip(2) {
        ctx.out.bulk(channel);
        let n = ctx.srv.pubsub.subscriber_count(channel);
        ctx.out.int(n as i64);
    }
    Ok(())
}

fn pubsub_channels(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(subcommand_syntax_error(args, "PUBSUB"));
    }
    let pattern = (args.len() == 3).then(|| args.get(2));
    let list = ctx.srv.pubsub.channels_matching(pattern);
    ctx.out.bulks(list.into_iter());
    Ok(())
}

fn pubsub_shardchannels(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(subcommand_syntax_error(args, "PUBSUB"));
    }
    let pattern = (args.len() == 3).then(|| args.get(2));
    let list = ctx.srv.pubsub.shard_channels_matching(pattern);
    ctx.out.bulks(list.into_iter());
    Ok(())
}

fn pubsub_shardnumsub(ctx: &mut Ctx, args: &Args) -> CmdResult {
    // A flat array in RESP3 too, as Redis 7.0 replies.
    ctx.out.array((args.len() - 2) * 2);
    for channel in args.iter().skip(2) {
        ctx.out.bulk(channel);
        let n = ctx.srv.pubsub.shard_subscriber_count(channel);
        ctx.out.int(n as i64);
    }
    Ok(())
}
