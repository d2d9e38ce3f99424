//! Connection commands: PING, ECHO, QUIT, SELECT, HELLO, AUTH, RESET and the CLIENT container
//! (whose subcommands live in `client.rs`).

use super::table::{acl, flags::*, policy::*, tips::*, Command, Group};
use super::{CmdError, CmdResult, Ctx, ErrorText};
use crate::resp::Args;

/// The Redis version ferrodis reports (HELLO, INFO `redis_version`): the 7.0 release whose
/// behaviour it follows.
pub const REDIS_VERSION: &str = "7.0.15";

/// The protocol versions HELLO accepts.
const RESP2: u8 = 2;
const RESP3: u8 = 3;

pub static COMMANDS: &[Command] = &[
    Command::new("ping", -1, ping)
        .group(Group::Connection)
        .policy(SUBSCRIBED_OK | MISCONF_REFUSED)
        .flags(FAST)
        .acl(acl::CONNECTION)
        .tips(&[REQUEST_ALL_SHARDS, RESPONSE_ALL_SUCCEEDED])
        .summary("Ping the server")
        .since("1.0.0")
        .complexity("O(1)")
        .args("?message"),
    Command::new("echo", 2, echo)
        .group(Group::Connection)
        .flags(LOADING | STALE | FAST)
        .acl(acl::CONNECTION)
        .summary("Echo the given string")
        .since("1.0.0")
        .complexity("O(1)")
        .args("message"),
    Command::new("quit", -1, quit)
        .group(Group::Connection)
        .policy(NOT_QUEUED | OOM_OK_IN_MULTI | SUBSCRIBED_OK)
        .flags(NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY)
        .acl(acl::CONNECTION)
        .summary("Close the connection")
        .since("1.0.0")
        .complexity("O(1)"),
    Command::new("select", 2, select)
        .group(Group::Connection)
        .flags(LOADING | STALE | FAST)
        .acl(acl::CONNECTION)
        .summary("Change the selected database for the current connection")
        .since("1.0.0")
        .complexity("O(1)")
        .args("index:integer"),
    Command::new("hello", -1, hello)
        .group(Group::Connection)
        .flags(NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY)
        .acl(acl::CONNECTION)
        .summary("Handshake with Redis")
        .since("6.0.0")
        .complexity("O(1)")
        .history(&[("6.2.0", "`protover` made optional; when called without arguments the command reports the current connection's context.")])
        .args(
            "?arguments{protover:integer ?AUTH=username_password{username password} \
            ?SETNAME=clientname}",
        ),
    Command::new("auth", -2, auth)
        .group(Group::Connection)
        .policy(REDACT_ARGS)
        .flags(NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY)
        .acl(acl::CONNECTION)
        .summary("Authenticate to the server")
        .since("1.0.0")
        .complexity("O(N) where N is the number of passwords defined for the user")
        .history(&[("6.0.0", "Added ACL style (username and password).")])
        .args("?username@6.0.0 password"),
    Command::new("reset", 1, reset)
        .group(Group::Connection)
        .policy(NOT_QUEUED | OOM_OK_IN_MULTI | SUBSCRIBED_OK)
        .flags(NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY)
        .acl(acl::CONNECTION)
        .summary("Reset the connection")
        .since("6.2.0")
        .complexity("O(1)"),
    Command::new("client", -2, super::client::container)
        .group(Group::Connection)
        .summary("A container for client connection commands")
        .since("2.4.0")
        .complexity("Depends on subcommand.")
        .subcommands(super::client::SUBCOMMANDS),
];

fn ping(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let client = ctx.client_ref();
    if client.subscribed() && client.resp == 2 && args.len() <= 2 {
        // A subscribed RESP2 client gets PING's answer in the shape of a message.
        ctx.out.array(2);
        ctx.out.bulk(b"pong");
        ctx.out.bulk(if args.len() == 2 { &args[1] } else { b"" });
        return Ok(());
    }
    match args.len() {
        1 => ctx.out.simple("PONG"),
        2 => ctx.out.bulk(&args[1]),
        _ => {
            return Err(CmdError::err(
                "wrong number of arguments for 'ping' command",
            ))
        }
    }
    Ok(())
}

fn echo(ctx: &mut Ctx, args: &Args) -> CmdResult {
    ctx.out.bulk(&args[1]);
    Ok(())
}

fn quit(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.out.ok();
    ctx.client().close_after_reply = true;
    Ok(())
}

fn select(ctx: &mut Ctx, args: &Args) -> CmdResult {
    // Redis reads the index as a C int: a valid integer outside that range has its own error.
    let idx = super::arg_i64(&args[1])?;
    if idx < i32::MIN as i64 || idx > i32::MAX as i64 {
        return Err(CmdError::from(
            "ERR value is out of range, value must between -2147483648 and 2147483647",
        ));
    }
    if idx < 0 || idx as usize >= ctx.srv.dbs.len() {
        return Err("ERR DB index is out of range".into());
    }
    ctx.client().db = idx as usize;
    ctx.out.ok();
    Ok(())
}

/// The error AUTH and HELLO give for credentials that do not match.
const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// Checks a username/password pair. ferrodis has one user, `default`, and no password
/// configured for it (Redis's `nopass`), so any password authenticates it and every other
/// user name is unknown.
fn authenticate(user: &[u8], _password: &[u8]) -> CmdResult {
    if user == b"default" {
        Ok(())
    } else {
        Err(WRONGPASS.into())
    }
}

/// Whether the default user has no password (always, until `requirepass` exists).
fn default_user_nopass() -> bool {
    true
}

fn auth(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::Syntax);
    }
    if args.len() == 2 {
        if default_user_nopass() {
            return Err(CmdError::from(
                "ERR AUTH <password> called without any password configured for the default \
                 user. Are you sure your configuration is correct?",
            ));
        }
        authenticate(b"default", &args[1])?;
    } else {
        authenticate(&args[1], &args[2])?;
    }
    ctx.out.ok();
    Ok(())
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
///
/// Options are applied in order as Redis does, so an error in a later option leaves the effect
/// of an earlier SETNAME in place; the protocol changes only when every option succeeded.
fn hello(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut proto = ctx.client_ref().resp;
    if args.len() >= 2 {
        let ver = crate::util::num::parse_i64(&args[1]).ok_or(CmdError::from(
            "ERR Protocol version is not an integer or out of range",
        ))?;
        match ver {
            2 => proto = RESP2,
            3 => proto = RESP3,
            _ => return Err("NOPROTO unsupported protocol version".into()),
        }
    }
    let mut j = 2;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let opt = &args[j];
        if opt.eq_ignore_ascii_case(b"auth") && more >= 2 {
            authenticate(&args[j + 1], &args[j + 2])?;
            j += 3;
        } else if opt.eq_ignore_ascii_case(b"setname") && more >= 1 {
            super::client::set_name(ctx, &args[j + 1])?;
            j += 2;
        } else {
            return Err(ErrorText::new("ERR Syntax error in HELLO option '")
                .arg(opt)
                .text("'")
                .done());
        }
    }
    let id = {
        let client = ctx.client();
        client.resp = proto;
        client.id
    };
    // The reply itself is already in the new protocol, as in Redis.
    ctx.out.set_protocol(proto);
    ctx.out.map(7);
    ctx.out.bulk(b"server");
    ctx.out.bulk(b"redis");
    ctx.out.bulk(b"version");
    ctx.out.bulk(REDIS_VERSION.as_bytes());
    ctx.out.bulk(b"proto");
    ctx.out.int(proto as i64);
    ctx.out.bulk(b"id");
    ctx.out.int(id as i64);
    ctx.out.bulk(b"mode");
    ctx.out.bulk(b"standalone");
    ctx.out.bulk(b"role");
    ctx.out.bulk(b"master");
    ctx.out.bulk(b"modules");
    ctx.out.array(0);
    Ok(())
}

/// RESET: the connection's state back to that of a new connection, as Redis 7.0's
/// `clearClientConnectionState`: database 0, RESP2, the default user's authentication, no
/// transaction and no watched keys, no subscriptions, no name, replies ON (a pending SKIP
/// still drops RESET's own reply, as in Redis), NO-TOUCH off. The id, address, age and
/// NO-EVICT mode stay.
fn reset(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    // Client-side caching goes off first, as in Redis's clearClientConnectionState.
    ctx.srv.disable_tracking(ctx.client_key);
    super::multi::discard_transaction(ctx.srv, ctx.client_key);
    ctx.srv.unsubscribe_all(ctx.client_key);
    let client = ctx.client();
    client.db = 0;
    client.resp = RESP2;
    // Authentication: every connection is the `default` user with no password
    // (`authenticate`), which is where RESET leaves it; a per-connection user goes back to
    // `default` here once ACL users exist.
    client.name = None;
    client.reply_off = false;
    client.reply_skip_next = false;
    client.no_touch = false;
    ctx.out.set_protocol(RESP2);
    ctx.out.simple("RESET");
    Ok(())
}
