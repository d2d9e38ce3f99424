//! ACL: the command family that shows and changes the users (`ACL SETUSER`, `GETUSER`, `LIST`,
//! `LOG`, …), and the dispatcher's permission check with its ACL log entries. Replies, errors
//! and log entries follow Redis 7.0.15's `acl.c`; the user model lives in `crate::acl`.

use super::server::{reply_help, subcommand_syntax_error};
use super::table::{flags::*, registry, Command, CommandId, Group};
use super::{arg_i64, arity_ok, CmdError, CmdResult, Ctx, ErrorText};
use crate::acl::user::has_spaces;
use crate::acl::{file, user_check, Denied};
use crate::resp::Args;
use crate::state::acl::User;
use crate::state::acl_log::{Context, Entry, Reason};
use crate::state::Server;

pub static COMMANDS: &[Command] = &[Command::new("acl", -2, container)
    .group(Group::Server)
    .summary("A container for Access List Control commands ")
    .since("6.0.0")
    .complexity("Depends on subcommand.")
    .subcommands(SUBCOMMANDS)];

const ADMIN_FLAGS: u32 = ADMIN | NOSCRIPT | LOADING | STALE;

/// In the order Redis 7.0 lists them in COMMAND INFO / DOCS.
static SUBCOMMANDS: &[Command] = &[
    Command::new("load", 2, load)
        .group(Group::Server)
        .flags(ADMIN_FLAGS)
        .summary("Reload the ACLs from the configured ACL file")
        .since("6.0.0")
        .complexity("O(N). Where N is the number of configured users."),
    Command::new("setuser", -3, setuser)
        .group(Group::Server)
        .flags(ADMIN_FLAGS)
        .summary("Modify or create the rules for a specific ACL user")
        .since("6.0.0")
        .complexity("O(N). Where N is the number of rules provided.")
        .history(&[
            ("6.2.0", "Added Pub/Sub channel patterns."),
            ("7.0.0", "Added selectors and key based permissions."),
        ])
        .args("username ?rule..."),
    Command::new("help", 2, help)
        .group(Group::Server)
        .flags(LOADING | STALE)
        .summary("Show helpful text about the different subcommands")
        .since("6.0.0")
        .complexity("O(1)"),
    Command::new("users", 2, users)
        .group(Group::Server)
        .flags(ADMIN_FLAGS)
        .summary("List the username of all the configured ACL rules")
        .since("6.0.0")
        .complexity("O(N). Where N is the number of configured users."),
    Command::new("save", 2, save)
        .group(Group::Server)
        .flags(ADMIN_FLAGS)
        .summary("Save the current ACL rules in the configured ACL file")
        .since("6.0.0")
        .complexity("O(N). Where N is the number of configured users."),
    Command::new("getuser", 3, getuser)
        .group(Group::Server)
        .flags(ADMIN_FLAGS)
        .summary("Get the rules for a specific ACL user")
        .since("6.0.0")
        .complexity(
            "O(N). Where N is the number of password, command and pattern rules that the user \
             has.",
        )
        .history(&[
            ("6.2.0", "Added Pub/Sub channel patterns."),
            (
                "7.0.0",
                "Added selectors and changed the format of key and channel patterns from a list \
                 to their rule representation.",
            ),
        ])
        .args("username"),
    Command::new("list", 2, list)
        .group(Group::Server)
        .flags(ADMIN_FLAGS)
        .summary("List the current ACL rules in ACL config file format")
        .since("6.0.0")
        .complexity("O(N). Where N is the number of configured users."),
    Command::new("log", -2, log)
        .group(Group::Server)
        .flags(ADMIN_FLAGS)
        .summary("List latest events denied because of ACLs in place")
        .since("6.0.0")
        .complexity("O(N) with N being the number of entries shown.")
        .args("?operation(count:integer|RESET)"),
    Command::new("cat", -2, cat)
        .group(Group::Server)
        .flags(NOSCRIPT | LOADING | STALE)
        .summary("List the ACL categories or the commands inside a category")
        .since("6.0.0")
        .complexity("O(1) since the categories and commands are a fixed set.")
        .args("?categoryname"),
    Command::new("genpass", -2, genpass)
        .group(Group::Server)
        .flags(NOSCRIPT | LOADING | STALE)
        .summary("Generate a pseudorandom secure password to use for ACL users")
        .since("6.0.0")
        .complexity("O(1)")
        .args("?bits:integer"),
    Command::new("deluser", -3, deluser)
        .group(Group::Server)
        .flags(ADMIN_FLAGS)
        .summary("Remove the specified ACL users and the associated rules")
        .since("6.0.0")
        .complexity("O(1) amortized time considering the typical user.")
        .args("username..."),
    Command::new("whoami", 2, whoami)
        .group(Group::Server)
        .flags(NOSCRIPT | LOADING | STALE)
        .summary("Return the name of the user associated to the current connection")
        .since("6.0.0")
        .complexity("O(1)"),
    Command::new("dryrun", -4, dryrun)
        .group(Group::Server)
        .flags(ADMIN_FLAGS)
        .summary(
            "Returns whether the user can execute the given command without executing the \
             command.",
        )
        .since("7.0.0")
        .complexity("O(1).")
        .args("username command ?arg..."),
];

const HELP: &[&str] = &[
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
];

/// ACL LOAD / SAVE without an `aclfile`.
const NO_ACLFILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may \
    want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming \
    you have a Redis configuration file set) in order to store users in the Redis configuration.";

/// GENPASS's largest size, in bits.
const GENPASS_MAX_BITS: i64 = 4096;

fn container(_ctx: &mut Ctx, args: &Args) -> CmdResult {
    Err(subcommand_syntax_error(args, "ACL"))
}

fn help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    reply_help(ctx, "ACL", HELP);
    Ok(())
}

/// Adds an entry to the ACL log for client `key` (Redis's `addACLLogEntry`).
pub fn log_event(
    srv: &mut Server,
    key: usize,
    reason: Reason,
    context: Context,
    object: &[u8],
    username: Option<&[u8]>,
    now_ms: i64,
) {
    let Some(client) = srv.clients.get(key) else {
        return;
    };
    let username = username.unwrap_or(client.user_name()).to_vec();
    let client_info = super::client::describe(srv, key, now_ms);
    let entry = Entry {
        count: 1,
        reason,
        context,
        object: object.to_vec(),
        username,
        ctime_ms: now_ms,
        client_info,
    };
    let max = usize::try_from(srv.config.acllog_max_len).unwrap_or(usize::MAX);
    srv.acl.log.add(entry, max);
}

/// Logs a denial of `args` (a call of `id`) and returns the reason.
fn log_denial(
    srv: &mut Server,
    key: usize,
    id: CommandId,
    args: &Args,
    denied: Denied,
    context: Context,
    now_ms: i64,
) {
    let (reason, object): (Reason, &[u8]) = match denied {
        Denied::Command => (Reason::Command, registry().full_name(id).as_bytes()),
        Denied::Key(i) => (Reason::Key, &args[i]),
        Denied::Channel(i) => (Reason::Channel, &args[i]),
    };
    log_event(srv, key, reason, context, object, None, now_ms);
}

fn check_user(srv: &Server, key: usize, id: CommandId, args: &Args) -> Result<(), Denied> {
    let argv: Vec<&[u8]> = args.iter().collect();
    srv.acl.check(srv.clients[key].user_name(), id, &argv)
}

/// The dispatcher's ACL check (Redis's `ACLCheckAllPerm` in processCommand), for a client whose
/// user is restricted: the `-NOPERM` error, logged, when the call is denied.
pub fn check(
    srv: &mut Server,
    key: usize,
    id: CommandId,
    args: &Args,
    now_ms: i64,
) -> Result<(), CmdError> {
    let Err(denied) = check_user(srv, key, id, args) else {
        return Ok(());
    };
    let context = if srv.clients[key].multi.is_some() {
        Context::Multi
    } else {
        Context::Toplevel
    };
    log_denial(srv, key, id, args, denied, context, now_ms);
    Err(CmdError::Msg(
        denied.noperm(registry().full_name(id)).into(),
    ))
}

/// EXEC's second check of a queued command: the rules may have changed since it was queued.
pub fn check_queued(
    srv: &mut Server,
    key: usize,
    id: CommandId,
    args: &Args,
    now_ms: i64,
) -> Result<(), CmdError> {
    let Err(denied) = check_user(srv, key, id, args) else {
        return Ok(());
    };
    log_denial(srv, key, id, args, denied, Context::Multi, now_ms);
    let reason = match denied {
        Denied::Command => "no permission to execute the command or subcommand",
        Denied::Key(_) => "no permission to touch the specified keys",
        Denied::Channel(_) => "no permission to access one of the channels used as arguments",
    };
    Err(CmdError::Msg(
        format!(
            "NOPERM ACLs rules changed between the moment the transaction was accumulated and \
             the EXEC call. This command is no longer allowed for the following reason: {reason}"
        )
        .into(),
    ))
}

/// Re-reads whether each client of user `name` may skip the ACL check.
pub fn refresh_clients(srv: &mut Server, name: &[u8]) {
    let unrestricted = srv.acl.unrestricted(name);
    for (_, c) in srv.clients.iter_mut() {
        if c.user_name() == name {
            c.acl_unrestricted = unrestricted;
        }
    }
}

/// Closes client `key`: the caller after its reply, anyone else at the end of this turn.
fn close_client(srv: &mut Server, key: usize, caller: usize) {
    if key == caller {
        if let Some(c) = srv.clients.get_mut(key) {
            c.close_after_reply = true;
        }
    } else {
        srv.kill_client(key);
    }
}

/// Redis's `ACLFreeUserAndKillClients`: the clients of a removed user go back to the default
/// user, unauthenticated, and are closed.
fn kill_clients_of(srv: &mut Server, name: &[u8], caller: usize) {
    let keys: Vec<usize> = srv
        .clients
        .iter()
        .filter(|(_, c)| c.user_name() == name)
        .map(|(k, _)| k)
        .collect();
    for key in keys {
        let c = &mut srv.clients[key];
        c.user = None;
        c.authenticated = false;
        c.acl_unrestricted = false;
        close_client(srv, key, caller);
    }
}

/// Redis's `ACLKillPubsubClientsIfNeeded`: after a user's channel rules shrank, its clients
/// subscribed to a channel (or pattern) no longer allowed are closed.
fn kill_pubsub_clients_if_needed(srv: &mut Server, old: &User, new: &User, caller: usize) {
    if new.selectors.iter().any(|s| s.all_channels) {
        return;
    }
    let upcoming: Vec<Vec<u8>> = new
        .selectors
        .iter()
        .flat_map(|s| s.channels.iter().cloned())
        .collect();
    let old_all = old.selectors.iter().any(|s| s.all_channels);
    let kept = old
        .selectors
        .iter()
        .flat_map(|s| s.channels.iter())
        .all(|c| upcoming.contains(c));
    if !old_all && kept {
        return;
    }
    let allowed = |c: &[u8], literal| crate::acl::channel_allowed(&upcoming, c, literal);
    let doomed: Vec<usize> = srv
        .clients
        .iter()
        .filter(|(_, c)| c.user_name() == old.name.as_slice() && c.subscribed())
        .filter(|(_, c)| {
            c.patterns.iter().any(|p| !allowed(p, true))
                || c.channels.iter().any(|ch| !allowed(ch, false))
                || c.shard_channels.iter().any(|ch| !allowed(ch, false))
        })
        .map(|(k, _)| k)
        .collect();
    for key in doomed {
        close_client(srv, key, caller);
    }
}

/// ACL SETUSER username [rule ...]: all rules apply, or none.
fn setuser(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let name = &args[2];
    if has_spaces(name) {
        return Err("ERR Usernames can't contain spaces or null characters".into());
    }
    let rules: Vec<&[u8]> = args.iter().skip(3).collect();
    let merged = file::merge_selector_args(&rules).map_err(|i| {
        ErrorText::new("ERR Unmatched parenthesis in acl selector starting at '")
            .arg(rules[i])
            .text("'.")
            .done()
    })?;
    let all_channels = ctx.srv.config.acl_pubsub_all;
    let old = ctx.srv.acl.users.get(name).cloned();
    let mut user = old.clone().unwrap_or_else(|| User::new(name, all_channels));
    for rule in &merged {
        user.apply(rule, all_channels).map_err(|e| {
            ErrorText::new("ERR Error in ACL SETUSER modifier '")
                .arg(rule)
                .text("': ")
                .text(e.message())
                .done()
        })?;
    }
    if let Some(old) = &old {
        kill_pubsub_clients_if_needed(ctx.srv, old, &user, ctx.client_key);
    }
    ctx.srv.acl.users.insert(name.to_vec(), user);
    refresh_clients(ctx.srv, name);
    ctx.out.ok();
    Ok(())
}

/// ACL DELUSER username [username ...]: the number of users removed; their clients are closed.
fn deluser(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.iter().skip(2).any(|n| n == b"default") {
        return Err("ERR The 'default' user cannot be removed".into());
    }
    let mut deleted = 0;
    for name in args.iter().skip(2) {
        if ctx.srv.acl.users.remove(name).is_some() {
            kill_clients_of(ctx.srv, name, ctx.client_key);
            deleted += 1;
        }
    }
    ctx.out.int(deleted);
    Ok(())
}

/// Replies commands, keys and channels of a selector (3 map fields).
fn reply_selector(ctx: &mut Ctx, s: &crate::state::acl::Selector) {
    ctx.out.bulk(b"commands");
    ctx.out.bulk(s.describe_commands().as_bytes());
    ctx.out.bulk(b"keys");
    ctx.out.bulk(&s.describe_keys());
    ctx.out.bulk(b"channels");
    ctx.out.bulk(&s.describe_channels());
}

/// ACL GETUSER username: flags, passwords, the root selector's rules, and the other selectors.
fn getuser(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(u) = ctx.srv.acl.users.get(&args[2]).cloned() else {
        ctx.out.null();
        return Ok(());
    };
    ctx.out.map(6);
    ctx.out.bulk(b"flags");
    let flags: Vec<&str> = u.flag_names().collect();
    ctx.out.set(flags.len());
    for f in flags {
        ctx.out.bulk(f.as_bytes());
    }
    ctx.out.bulk(b"passwords");
    ctx.out.array(u.passwords.len());
    for p in &u.passwords {
        ctx.out.bulk(p.as_bytes());
    }
    reply_selector(ctx, u.root());
    ctx.out.bulk(b"selectors");
    ctx.out.array(u.selectors.len() - 1);
    for s in &u.selectors[1..] {
        ctx.out.map(3);
        reply_selector(ctx, s);
    }
    Ok(())
}

fn user_line(u: &User) -> Vec<u8> {
    let mut line = b"user ".to_vec();
    line.extend_from_slice(&u.name);
    line.push(b' ');
    line.extend_from_slice(&u.describe());
    line
}

/// ACL LIST: each user as its ACL file line.
fn list(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let lines: Vec<Vec<u8>> = ctx.srv.acl.users.values().map(user_line).collect();
    ctx.out.array(lines.len());
    for l in &lines {
        ctx.out.bulk(l);
    }
    Ok(())
}

/// ACL USERS: the user names, sorted.
fn users(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let srv = &*ctx.srv;
    ctx.out.array(srv.acl.users.len());
    for name in srv.acl.users.keys() {
        ctx.out.bulk(name);
    }
    Ok(())
}

fn whoami(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let name = ctx.srv.clients[ctx.client_key].user_name();
    ctx.out.bulk(name);
    Ok(())
}

/// ACL CAT [category]: the categories, or the commands (and subcommands) of one.
fn cat(ctx: &mut Ctx, args: &Args) -> CmdResult {
    use super::table::acl as categories;
    if args.len() == 2 {
        ctx.out.array(categories::NAMES.len());
        for (_, name) in categories::NAMES {
            ctx.out.bulk(name.as_bytes());
        }
        return Ok(());
    }
    if args.len() > 3 {
        return Err(subcommand_syntax_error(args, "ACL"));
    }
    let Some(bit) = categories::by_name(super::quote_arg_bytes(&args[2], usize::MAX)) else {
        return Err(ErrorText::new("ERR Unknown category '")
            .arg_max(&args[2], 128)
            .text("'")
            .done());
    };
    let reg = registry();
    let names: Vec<&str> = reg
        .all
        .iter()
        .filter(|(_, c)| c.acl_categories() & bit != 0)
        .map(|(n, _)| n.as_str())
        .collect();
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk(n.as_bytes());
    }
    Ok(())
}

/// Random bytes from the kernel (GENPASS); falls back to the server's generator, mixed with
/// the clock, if /dev/urandom cannot be read.
fn random_bytes(ctx: &mut Ctx, buf: &mut [u8]) {
    use std::io::Read as _;
    let ok = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(buf))
        .is_ok();
    if !ok {
        for chunk in buf.chunks_mut(8) {
            let r = ctx.random().to_le_bytes();
            chunk.copy_from_slice(&r[..chunk.len()]);
        }
    }
}

/// ACL GENPASS [bits]: `bits` (256 by default) of randomness, as hex.
fn genpass(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(subcommand_syntax_error(args, "ACL"));
    }
    let bits = if args.len() == 3 {
        arg_i64(&args[2])?
    } else {
        256
    };
    if bits <= 0 || bits > GENPASS_MAX_BITS {
        return Err(CmdError::err(format!(
            "ACL GENPASS argument must be the number of bits for the output password, a \
             positive number up to {GENPASS_MAX_BITS}"
        )));
    }
    let chars = ((bits + 3) / 4) as usize;
    let mut raw = vec![0u8; chars.div_ceil(2)];
    random_bytes(ctx, &mut raw);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hex: Vec<u8> = raw
        .iter()
        .flat_map(|b| [HEX[(b >> 4) as usize], HEX[(b & 15) as usize]])
        .take(chars)
        .collect();
    ctx.out.bulk(&hex);
    Ok(())
}

/// ACL LOG [count | RESET]: the newest `count` (10) entries, or empties the log.
fn log(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(subcommand_syntax_error(args, "ACL"));
    }
    let mut count: i64 = 10;
    if args.len() == 3 {
        if args[2].eq_ignore_ascii_case(b"reset") {
            ctx.srv.acl.log.entries.clear();
            ctx.out.ok();
            return Ok(());
        }
        count = arg_i64(&args[2])?.max(0);
    }
    let entries = &ctx.srv.acl.log.entries;
    let count = usize::try_from(count)
        .unwrap_or(usize::MAX)
        .min(entries.len());
    let now = ctx.now_ms;
    ctx.out.array(count);
    for e in entries.iter().take(count) {
        ctx.out.map(7);
        ctx.out.bulk(b"count");
        ctx.out.int(e.count as i64);
        ctx.out.bulk(b"reason");
        ctx.out.bulk(e.reason.name().as_bytes());
        ctx.out.bulk(b"context");
        ctx.out.bulk(e.context.name().as_bytes());
        ctx.out.bulk(b"object");
        ctx.out.bulk(&e.object);
        ctx.out.bulk(b"username");
        ctx.out.bulk(&e.username);
        ctx.out.bulk(b"age-seconds");
        ctx.out.double((now - e.ctime_ms) as f64 / 1000.0);
        ctx.out.bulk(b"client-info");
        ctx.out.bulk(e.client_info.as_bytes());
    }
    Ok(())
}

/// ACL DRYRUN username command [arg ...]: whether the user could run the call, as `+OK` or the
/// reason as a bulk string.
fn dryrun(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let name = &args[2];
    if !ctx.srv.acl.users.contains_key(name) {
        return Err(ErrorText::new("ERR User '")
            .arg(name)
            .text("' not found")
            .done());
    }
    let argv: Vec<&[u8]> = args.iter().skip(3).collect();
    let not_found = || {
        ErrorText::new("ERR Command '")
            .arg(argv[0])
            .text("' not found")
            .done()
    };
    let reg = registry();
    let mut id = reg.lookup(argv[0]).ok_or_else(not_found)?;
    if !reg.command(id).subcommands.is_empty() && argv.len() >= 2 {
        id = reg.lookup_sub(id, argv[1]).ok_or_else(not_found)?;
    }
    if !arity_ok(reg.command(id).arity, argv.len()) {
        return Err(CmdError::err(format!(
            "wrong number of arguments for '{}' command",
            reg.full_name(id)
        )));
    }
    let Some(u) = ctx.srv.acl.users.get(name) else {
        return Err(not_found());
    };
    match user_check(u, id, &argv) {
        Ok(()) => ctx.out.ok(),
        Err(denied) => {
            let mut text = b"This user has no permissions to ".to_vec();
            match denied {
                Denied::Command => {
                    text.extend_from_slice(b"run the '");
                    text.extend_from_slice(reg.full_name(id).as_bytes());
                    text.extend_from_slice(b"' command");
                }
                Denied::Key(i) | Denied::Channel(i) => {
                    text.extend_from_slice(b"access the '");
                    text.extend_from_slice(argv[i]);
                    text.extend_from_slice(if matches!(denied, Denied::Key(_)) {
                        b"' key"
                    } else {
                        b"' channel"
                    });
                }
            }
            ctx.out.bulk(&text);
        }
    }
    Ok(())
}

/// ACL LOAD: replaces every user with the ACL file's, or changes nothing if it has an error.
/// The clients of every user but `default` are closed, as in Redis 7.0.
fn load(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    if ctx.srv.config.aclfile.is_empty() {
        return Err(NO_ACLFILE.into());
    }
    let users = file::load(&ctx.srv.config.aclfile, ctx.srv.config.acl_pubsub_all)
        .map_err(|e| ErrorText::new("ERR ").text(&e).done())?;
    let old = std::mem::replace(&mut ctx.srv.acl.users, users);
    for name in old.keys().filter(|n| n.as_slice() != b"default") {
        kill_clients_of(ctx.srv, name, ctx.client_key);
    }
    refresh_clients(ctx.srv, b"default");
    ctx.out.ok();
    Ok(())
}

/// ACL SAVE: writes the users to the ACL file.
fn save(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    if ctx.srv.config.aclfile.is_empty() {
        return Err(NO_ACLFILE.into());
    }
    let text = file::render(ctx.srv.acl.users.values());
    file::save(&ctx.srv.config.aclfile, &text).map_err(|_| {
        CmdError::from(
            "ERR There was an error trying to save the ACLs. Please check the server logs for \
             more information",
        )
    })?;
    ctx.out.ok();
    Ok(())
}
