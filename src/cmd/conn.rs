//! Connection commands: PING, ECHO, QUIT, SELECT, HELLO, AUTH, RESET and the CLIENT container
//! (whose subcommands live in `client.rs`).

use super::table::{acl, flags::*, policy::*, tips::*, Command, Group};
use super::{CmdError, CmdResult, Ctx, ErrorText};
use crate::resp::Args;
use crate::state::Server;

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

/// The reply of a command other than AUTH, HELLO and the other `no_auth` commands before the
/// client authenticated.
pub const NOAUTH: &str = "NOAUTH Authentication required.";

/// HELLO's own refusal when the client is not authenticated (Redis 7.0.15's exact text).
const HELLO_NOAUTH: &str = "NOAUTH HELLO must be called with the client already \
    authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate \
    the client and select the RESP protocol version at the same time";

/// What a client protected mode turns away reads before the connection closes: Redis
/// 7.0.15's text, its "Setup a an" included.
pub const PROTECTED_MODE_DENIED: &[u8] = b"-DENIED Redis is running in protected mode because \
    protected mode is enabled and no password is set for the default user. In this mode \
    connections are only accepted from the loopback interface. If you want to connect from \
    external computers to Redis you may adopt one of the following solutions: 1) Just disable \
    protected mode sending the command 'CONFIG SET protected-mode no' from the loopback \
    interface by connecting to Redis from the same host the server is running, however MAKE \
    SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to \
    make this change permanent. 2) Alternatively you can just disable the protected mode by \
    editing the Redis configuration file, and setting the protected mode option to 'no', and \
    then restarting the server. 3) If you started the server manually just for testing, \
    restart it with the '--protected-mode no' option. 4) Setup a an authentication password \
    for the default user. NOTE: You only need to do one of the above things in order for the \
    server to start accepting connections from the outside.\r\n";

/// Checks a username/password pair against the ACL users and, when it matches, logs the
/// client in as that user (Redis's `ACLAuthenticateUser`). A failure is logged with the
/// client's address, recorded in the ACL log (object: the command name as sent), and leaves an
/// already authenticated client as it was, as in Redis.
fn authenticate(ctx: &mut Ctx, command: &[u8], user: &[u8], password: &[u8]) -> CmdResult {
    if ctx.srv.acl.credentials_ok(user, password) {
        login(ctx.srv, ctx.client_key, user);
        return Ok(());
    }
    let client = ctx.client_ref();
    log::info!(
        "id={} addr={} failed to authenticate as '{}'",
        client.id,
        client.addr,
        String::from_utf8_lossy(&user[..user.len().min(128)])
    );
    let context = if client.multi.is_some() {
        crate::state::acl_log::Context::Multi
    } else {
        crate::state::acl_log::Context::Toplevel
    };
    super::acl::log_event(
        ctx.srv,
        ctx.client_key,
        crate::state::acl_log::Reason::Auth,
        context,
        command,
        Some(user),
        ctx.now_ms,
    );
    Err(WRONGPASS.into())
}

/// Makes client `client_key` authenticated as `user` (an existing user).
fn login(srv: &mut Server, client_key: usize, user: &[u8]) {
    let unrestricted = srv.acl.unrestricted(user);
    if let Some(client) = srv.clients.get_mut(client_key) {
        client.authenticated = true;
        client.user = (user != b"default").then(|| user.to_vec());
        client.acl_unrestricted = unrestricted;
    }
}

/// Logs client `client_key` in as `username` without a password, if that user exists and is
/// enabled (TLS client certificates: the certificate's CN names the user). Returns whether it
/// did.
pub fn authenticate_user(srv: &mut Server, client_key: usize, username: &[u8]) -> bool {
    if !srv.acl.users.get(username).is_some_and(|u| u.enabled()) {
        return false;
    }
    login(srv, client_key, username);
    true
}

/// Whether the default user has `nopass` (AUTH with only a password is then an error).
pub fn default_user_nopass(srv: &Server) -> bool {
    srv.acl.default_user().is_some_and(|u| u.nopass())
}

fn auth(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::Syntax);
    }
    if args.len() == 2 {
        if default_user_nopass(ctx.srv) {
            return Err(CmdError::from(
                "ERR AUTH <password> called without any password configured for the default \
                 user. Are you sure your configuration is correct?",
            ));
        }
        authenticate(ctx, &args[0], b"default", &args[1])?;
    } else {
        authenticate(ctx, &args[0], &args[1], &args[2])?;
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
            authenticate(ctx, &args[0], &args[j + 1], &args[j + 2])?;
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
    // Checked after the options, as Redis 7.0 does: a SETNAME before it has taken effect.
    if !ctx.client_ref().authenticated {
        return Err(HELLO_NOAUTH.into());
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
/// `clearClientConnectionState`: database 0, RESP2, the default user (not authenticated if it has a password), no
/// transaction and no watched keys, no subscriptions, no name, replies ON (a pending SKIP
/// still drops RESET's own reply, as in Redis), NO-TOUCH off. The id, address, age and
/// NO-EVICT mode stay.
fn reset(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    // Client-side caching goes off first, as in Redis's clearClientConnectionState.
    ctx.srv.disable_tracking(ctx.client_key);
    super::multi::discard_transaction(ctx.srv, ctx.client_key);
    ctx.srv.unsubscribe_all(ctx.client_key);
    super::monitor::stop(ctx.srv, ctx.client_key);
    let nopass = ctx.srv.acl.default_open();
    let unrestricted = ctx.srv.acl.unrestricted(b"default");
    let client = ctx.client();
    client.db = 0;
    client.resp = RESP2;
    // Back to the `default` user, authenticated only if it has no password (Redis's
    // clientSetDefaultAuth).
    client.authenticated = nopass;
    client.user = None;
    client.acl_unrestricted = unrestricted;
    client.name = None;
    client.reply_off = false;
    client.reply_skip_next = false;
    client.no_touch = false;
    ctx.out.set_protocol(RESP2);
    ctx.out.simple("RESET");
    Ok(())
}
