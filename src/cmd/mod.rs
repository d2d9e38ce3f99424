//! Commands: the table, the dispatcher and one file per family.

use std::borrow::Cow;

use crate::resp::{Args, Reply};
use crate::state::{Client, DeferredCall, Server};
use crate::store::Db;

pub mod acl;
pub mod argspec;
pub mod bits;
pub mod blocking;
pub mod client;
pub mod conn;
pub mod docs;
pub mod expire;
pub mod hash;
pub mod info;
pub mod introspect;
pub mod keys;
pub mod list;
pub mod memory;
pub mod monitor;
pub mod multi;
pub mod name_index;
pub mod persist;
pub mod pubsub;
pub mod server;
pub mod set;
pub mod slowlog;
pub mod sort;
pub mod string;
pub mod table;
pub mod tracking;
pub mod zset;

pub use crate::config::keyspace_events as ev;
use crate::store::evict::{self, Eviction};
use table::{flags, policy, registry, CommandId};

/// A command failure; rendered as Redis's exact error line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CmdError {
    WrongType,
    NotInteger,
    NotFloat,
    Syntax,
    Overflow,
    /// The full error text, starting with its code (`ERR …`), made of literal text only.
    Msg(Cow<'static, str>),
    /// A full error text that echoes client bytes (not necessarily UTF-8), already shaped by
    /// [`ErrorText`].
    Bytes(Vec<u8>),
}

impl CmdError {
    /// The exact bytes of the error line (without `-` and CRLF), starting with its code.
    pub fn bytes(&self) -> &[u8] {
        match self {
            CmdError::WrongType => {
                b"WRONGTYPE Operation against a key holding the wrong kind of value"
            }
            CmdError::NotInteger => b"ERR value is not an integer or out of range",
            CmdError::NotFloat => b"ERR value is not a valid float",
            CmdError::Syntax => b"ERR syntax error",
            CmdError::Overflow => b"ERR increment or decrement would overflow",
            CmdError::Msg(m) => m.as_bytes(),
            CmdError::Bytes(b) => b,
        }
    }

    /// An `ERR …` error with a message built at run time from literal text (never from client
    /// bytes: those go through [`ErrorText`]).
    pub fn err(msg: impl Into<String>) -> CmdError {
        CmdError::Msg(Cow::Owned(format!("ERR {}", msg.into())))
    }
}

impl From<&'static str> for CmdError {
    /// A fixed error text including its code.
    fn from(text: &'static str) -> Self {
        CmdError::Msg(Cow::Borrowed(text))
    }
}

/// An error text that echoes client arguments, built the way Redis's `addReplyErrorFormat`
/// builds one with `%s`: each argument is a C string (it stops at its first NUL byte) whose
/// other bytes are copied untouched, whatever their encoding; then CR and LF are trimmed from
/// both ends of the message and the ones left inside become spaces, so client bytes cannot
/// break the protocol. (Redis's `rejectCommandFormat` maps without trimming, but its messages
/// never begin or end with an argument, so the two agree.)
#[derive(Clone, Debug)]
#[must_use]
pub struct ErrorText {
    text: Vec<u8>,
    /// Where the message starts, after the code (`ERR `): Redis trims the message only.
    body: usize,
}

impl ErrorText {
    /// Starts the text with its code and the literal words after it (`"ERR Unsupported
    /// option "`).
    pub fn new(start: &str) -> ErrorText {
        let body = start.find(' ').map_or(start.len(), |i| i + 1);
        ErrorText {
            text: start.as_bytes().to_vec(),
            body,
        }
    }

    /// Literal text.
    pub fn text(mut self, literal: &str) -> ErrorText {
        self.text.extend_from_slice(literal.as_bytes());
        self
    }

    /// `%s` of a client argument.
    pub fn arg(self, arg: &[u8]) -> ErrorText {
        self.arg_max(arg, usize::MAX)
    }

    /// `%.<max>s` of a client argument.
    pub fn arg_max(mut self, arg: &[u8], max: usize) -> ErrorText {
        self.text.extend_from_slice(quote_arg_bytes(arg, max));
        self
    }

    /// Text another formatter already made of literal words and C-string arguments.
    pub fn formatted(mut self, bytes: &[u8]) -> ErrorText {
        self.text.extend_from_slice(bytes);
        self
    }

    /// The shaped text, as [`CmdError::Bytes`].
    pub fn done(self) -> CmdError {
        CmdError::Bytes(self.into_bytes())
    }

    /// The shaped text.
    pub fn into_bytes(mut self) -> Vec<u8> {
        let is_crlf = |b: &u8| *b == b'\r' || *b == b'\n';
        let end = self.text.len()
            - self.text[self.body..]
                .iter()
                .rev()
                .take_while(|b| is_crlf(b))
                .count();
        self.text.truncate(end);
        let lead = self.text[self.body..]
            .iter()
            .take_while(|b| is_crlf(b))
            .count();
        self.text.drain(self.body..self.body + lead);
        for b in &mut self.text[self.body..] {
            if is_crlf(b) {
                *b = b' ';
            }
        }
        self.text
    }
}

pub type CmdResult = Result<(), CmdError>;

/// What a handler runs against.
pub struct Ctx<'a> {
    pub srv: &'a mut Server,
    /// The command (or subcommand) running: handlers that need its name or flags ask the
    /// registry with it rather than looking at `args[0]`.
    pub id: CommandId,
    /// Slab key of the calling client in `srv.clients`.
    pub client_key: usize,
    pub out: &'a mut Reply,
    /// Time the command started (unix ms); expiry decisions within one command use it.
    pub now_ms: i64,
    /// The access value (LRU clock or LFU counter) a key created by this command starts with.
    pub clock: u32,
}

impl<'a> Ctx<'a> {
    pub fn client(&mut self) -> &mut Client {
        &mut self.srv.clients[self.client_key]
    }

    pub fn client_ref(&self) -> &Client {
        &self.srv.clients[self.client_key]
    }

    pub fn db_index(&self) -> usize {
        self.srv.clients[self.client_key].db
    }

    /// The client's selected database.
    pub fn db(&mut self) -> &mut Db {
        let idx = self.srv.clients[self.client_key].db;
        &mut self.srv.dbs[idx]
    }

    /// The selected database and the reply buffer together, for handlers that read a value and
    /// reply with it without copying.
    pub fn db_out(&mut self) -> (&mut Db, &mut Reply) {
        let idx = self.srv.clients[self.client_key].db;
        (&mut self.srv.dbs[idx], &mut *self.out)
    }

    /// Finds `key` in the selected database for a read: expires it lazily, counts a keyspace
    /// hit or miss, and marks it accessed. Returns its slot.
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<u32> {
        self.lookup(key, true, true)
    }

    /// Finds `key` in the selected database for a write: expires it lazily and marks it
    /// accessed, without touching the hit/miss statistics. Returns its slot.
    pub fn lookup_write(&mut self, key: &[u8]) -> Option<u32> {
        self.lookup(key, false, true)
    }

    /// Finds `key`, expiring it lazily; `stats` counts a keyspace hit or miss, `touch` updates
    /// its access time (OBJECT and TTL look without touching, as Redis's LOOKUP_NOTOUCH).
    pub fn lookup(&mut self, key: &[u8], stats: bool, touch: bool) -> Option<u32> {
        let now = self.now_ms;
        let client = &self.srv.clients[self.client_key];
        let (idx, touch) = (client.db, touch && !client.no_touch);
        let rand = if touch && self.srv.config.maxmemory_policy.is_lfu() {
            self.srv.random()
        } else {
            0
        };
        let slot = self.lookup_live(idx, key);
        let srv = &mut *self.srv;
        let db = &mut srv.dbs[idx];
        if touch {
            if let Some(entry) = slot.and_then(|s| db.entry_mut(s)) {
                entry.access = evict::touched(entry.access, &srv.config, now, srv.lru_now, rand);
            }
        }
        if stats {
            if slot.is_some() {
                self.srv.stats.keyspace_hits += 1;
            } else {
                self.srv.stats.keyspace_misses += 1;
                self.notify(ev::KEY_MISS, "keymiss", key);
            }
        }
        slot
    }

    /// Redis's `signalModifiedKey`: `key` (in the caller's database) was modified, which
    /// spoils the transactions of the clients that WATCH it. Call it wherever a command changes
    /// a key, including when the change deletes the key.
    pub fn touch(&mut self, key: &[u8]) {
        let db = self.db_index();
        self.srv.touch_key(db, key);
    }

    /// Redis's `notifyKeyspaceEvent`: `event` of class `class` (an [`ev`] constant) happened
    /// to `key` in the caller's database. Call it where Redis does, in the same order; it costs
    /// one branch while notifications are off.
    #[inline]
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        if self.srv.config.notify_keyspace_events == 0 {
            return;
        }
        let db = self.db_index();
        self.notify_db(class, event, db, key);
    }

    /// [`Ctx::notify`] for a key of database `db` (MOVE, COPY … DB).
    pub fn notify_db(&mut self, class: u32, event: &str, db: usize, key: &[u8]) {
        // Every write comes here: with notifications off, one branch and nothing more.
        if self.srv.config.notify_keyspace_events == 0 {
            return;
        }
        self.srv.notify(class, event, db, key);
        self.write_own_frames();
    }

    /// Finds `key` in database `db`, expiring it lazily (held during CLIENT PAUSE); the
    /// `expired` event a RESP3 subscriber gets about its own lookup goes into the reply here,
    /// where it fired. No statistics, no access time.
    pub fn lookup_live(&mut self, db: usize, key: &[u8]) -> Option<u32> {
        let slot = self.srv.lookup_live(db, key, self.now_ms);
        self.write_own_frames();
        slot
    }

    /// Writes the notifications this client receives about its own command (a RESP3
    /// subscriber) into the reply, where they fired, as Redis does.
    pub fn write_own_frames(&mut self) {
        let own = &mut self.srv.own_frames;
        if !own.is_empty() {
            self.out.raw(&own.buf);
            own.buf.clear();
        }
    }

    /// Pseudo-random number from the server's generator.
    pub fn random(&mut self) -> u64 {
        self.srv.random()
    }
}

/// Parses an integer argument or fails with Redis's generic integer error.
pub fn arg_i64(arg: &[u8]) -> Result<i64, CmdError> {
    crate::util::num::parse_i64(arg).ok_or(CmdError::NotInteger)
}

/// The bytes `%.<max>s` prints of `arg`: up to the first NUL, at most `max` bytes.
pub fn quote_arg_bytes(arg: &[u8], max: usize) -> &[u8] {
    let end = arg
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(arg.len())
        .min(max);
    &arg[..end]
}

/// Parses a SCAN-family cursor as Redis 7.0 does with `strtoul`: an optional sign and decimal
/// digits, nothing else; a leading `-` negates modulo 2^64; the empty string is cursor 0.
pub fn parse_scan_cursor(arg: &[u8]) -> Result<u64, CmdError> {
    let invalid = || CmdError::err("invalid cursor");
    if arg.is_empty() {
        return Ok(0);
    }
    let (negative, digits) = match arg[0] {
        b'-' => (true, &arg[1..]),
        b'+' => (false, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() {
        return Err(invalid());
    }
    let mut n: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return Err(invalid());
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .ok_or_else(invalid)?;
    }
    Ok(if negative { n.wrapping_neg() } else { n })
}

/// The `[MATCH pattern] [COUNT count]` options of HSCAN/SSCAN/ZSCAN from `args[from..]`:
/// (count, pattern), the pattern `None` when absent or `*`. COUNT below 1 or anything
/// unrecognised is a syntax error, as in Redis.
pub fn parse_scan_options<'a>(
    args: &Args<'a>,
    from: usize,
) -> Result<(usize, Option<&'a [u8]>), CmdError> {
    let mut count: usize = 10;
    let mut pattern = None;
    let mut i = from;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        if has_value && args.get(i).eq_ignore_ascii_case(b"count") {
            let n = arg_i64(args.get(i + 1))?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if has_value && args.get(i).eq_ignore_ascii_case(b"match") {
            let p = args.get(i + 1);
            pattern = (p != b"*").then_some(p);
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    Ok((count, pattern))
}

/// Resolves a request to a command (or subcommand) by the names in force (`rename-command`),
/// or the error Redis gives for it.
pub fn resolve(args: &Args) -> Result<CommandId, CmdError> {
    let reg = registry();
    let name = args.get(0);
    let Some(id) = table::names().lookup(name) else {
        return Err(unknown_command(args));
    };
    let cmd = reg.command(id);
    if !cmd.subcommands.is_empty() && args.len() >= 2 {
        return reg.lookup_sub(id, args.get(1)).ok_or_else(|| {
            ErrorText::new("ERR unknown subcommand '")
                .arg_max(args.get(1), 128)
                .text("'. Try ")
                .arg(&name.to_ascii_uppercase())
                .text(" HELP.")
                .done()
        });
    }
    Ok(id)
}

fn unknown_command(args: &Args) -> CmdError {
    let mut listed = Vec::new();
    for arg in args.iter().skip(1) {
        if listed.len() >= 128 {
            break;
        }
        let room = 128 - listed.len();
        listed.push(b'\'');
        listed.extend_from_slice(quote_arg_bytes(arg, room));
        listed.extend_from_slice(b"' ");
    }
    ErrorText::new("ERR unknown command '")
        .arg_max(args.get(0), 128)
        .text("', with args beginning with: ")
        .formatted(&listed)
        .done()
}

/// Checks arity the way Redis does: N exactly, or -N at least.
pub fn arity_ok(arity: i32, argc: usize) -> bool {
    if arity > 0 {
        argc == arity as usize
    } else {
        argc >= arity.unsigned_abs() as usize
    }
}

/// Runs one request for the client `client_key`, appending its reply to `out`.
pub fn execute(srv: &mut Server, client_key: usize, args: &Args, out: &mut Reply, now_ms: i64) {
    let found = resolve(args);
    note_last_command(srv, client_key, &found);
    srv.current_client = Some(client_key);
    // Keep the tracking table within tracking-table-max-keys (Redis's processCommand does).
    if srv.tracking.clients > 0 {
        srv.limit_tracking_table();
    }
    let found_id = found.as_ref().ok().copied();
    let result = match found {
        Ok(id) => run(srv, client_key, id, args, out, now_ms),
        Err(e) => {
            // Refused before it could be queued: the transaction is spoilt.
            multi::flag_aborted(srv, client_key);
            Err(e)
        }
    };
    if let Err(e) = result {
        reply_error(srv, out, &e);
    }
    srv.current_client = None;
    // CLIENT CACHING affects the next command (or transaction) only, as Redis's resetClient:
    // any CLIENT subcommand and commands queued in MULTI keep it.
    if let Some(client) = srv.clients.get_mut(client_key) {
        if let Some(t) = client.tracking.as_mut() {
            if t.caching
                && client.multi.is_none()
                && !found_id.is_some_and(|id| registry().full_name(id).starts_with("client|"))
            {
                t.caching = false;
            }
        }
    }
}

/// Records the command looked up as the client's last, as Redis does at lookup: a queued or
/// refused command is the client's last (`NULL` when unknown), and inside EXEC it stays EXEC.
#[inline]
fn note_last_command(srv: &mut Server, client_key: usize, found: &Result<CommandId, CmdError>) {
    srv.clients[client_key].last_cmd = found.as_ref().ok().copied();
}

/// The name CLIENT LIST shows for a client's last command (`cmd=`): its full name, or `NULL`.
pub fn last_command_name(client: &Client) -> &'static str {
    client
        .last_cmd
        .map_or("NULL", |id| registry().full_name(id))
}

/// Answers the request in `args` with the error `text` instead of running it (a rate limit in
/// `reject` mode), as Redis's `rejectCommand` refuses: a known command counts a rejected call
/// in INFO commandstats, a transaction it would have joined is spoilt (an EXEC refused
/// discards its transaction), and the error is counted in INFO errorstats.
pub fn refuse(
    srv: &mut Server,
    client_key: usize,
    args: &Args,
    out: &mut Reply,
    text: &'static str,
) {
    let found = resolve(args);
    note_last_command(srv, client_key, &found);
    let e = match found {
        Ok(id) => reject(srv, client_key, id, CmdError::from(text)),
        Err(_) => {
            multi::flag_aborted(srv, client_key);
            CmdError::from(text)
        }
    };
    reply_error(srv, out, &e);
}

fn reply_error(srv: &mut Server, out: &mut Reply, e: &CmdError) {
    let text = e.bytes();
    srv.count_error(text);
    out.error_bytes(text);
}

/// A command refused before it ran (Redis's `rejectCommand`): counted as rejected, and inside
/// MULTI it aborts the transaction; EXEC itself refused discards the transaction with the
/// reason.
fn reject(srv: &mut Server, client_key: usize, id: CommandId, e: CmdError) -> CmdError {
    srv.command_stats[id].rejected += 1;
    multi::flag_aborted(srv, client_key);
    // Even outside a transaction, as Redis's rejectCommand does for EXEC.
    if registry().command(id).has_policy(policy::EXEC) {
        return multi::exec_abort(srv, client_key, &e);
    }
    e
}

/// The checks Redis's processCommand makes before a command runs, then the call itself, or,
/// inside MULTI, its queueing.
fn run(
    srv: &mut Server,
    client_key: usize,
    id: CommandId,
    args: &Args,
    out: &mut Reply,
    now_ms: i64,
) -> CmdResult {
    let reg = registry();
    let cmd = reg.command(id);
    let argc_ok =
        arity_ok(cmd.arity, args.len()) || (cmd.has_policy(policy::BARE_OK) && args.len() == 1);
    if !argc_ok {
        let name = reg.full_name(id);
        let e = CmdError::err(format!("wrong number of arguments for '{name}' command"));
        return Err(reject(srv, client_key, id, e));
    }
    // Redis's authRequired: only `no_auth` commands run before AUTH while there is a password.
    if !srv.clients[client_key].authenticated && !srv.acl.default_open() && !cmd.has(flags::NO_AUTH)
    {
        return Err(reject(srv, client_key, id, conn::NOAUTH.into()));
    }
    // ACL: a client of an all-permissions user (the default user, usually) skips the check
    // on this one cached flag; the others are checked against their user's selectors.
    if !srv.clients[client_key].acl_unrestricted {
        if let Err(e) = acl::check(srv, client_key, id, args, now_ms) {
            return Err(reject(srv, client_key, id, e));
        }
    }
    let tx_flags = srv.clients[client_key].multi.as_ref().map(|tx| tx.flags());
    let queues = tx_flags.is_some() && !cmd.has_policy(policy::NOT_QUEUED);
    // EXEC is checked against the flags of the commands it would run.
    let exec_flags = if cmd.has_policy(policy::EXEC) {
        tx_flags.unwrap_or(0)
    } else {
        0
    };
    if srv.config.maxmemory > 0 && srv.evict_for_maxmemory(now_ms) == Eviction::Fail {
        // Inside MULTI every command but EXEC, DISCARD, QUIT and RESET is refused, as in
        // Redis: queueing itself uses memory (a nested MULTI or a WATCH too, for the check).
        let refuse = cmd.has(flags::DENYOOM)
            || (tx_flags.is_some() && !cmd.has_policy(policy::OOM_OK_IN_MULTI))
            || exec_flags & flags::DENYOOM != 0;
        if refuse {
            let e = "OOM command not allowed when used memory > 'maxmemory'.".into();
            return Err(reject(srv, client_key, id, e));
        }
    }
    if srv.persist.writes_denied(&srv.config)
        && (cmd.has(flags::WRITE)
            || cmd.has_policy(policy::MISCONF_REFUSED)
            || exec_flags & flags::WRITE != 0)
    {
        let e = crate::state::snapshot::MISCONF.into();
        return Err(reject(srv, client_key, id, e));
    }
    // The subscribed context is RESP2's: a RESP3 client's messages are pushes it can tell
    // from replies, so it may run anything while subscribed, as in Redis 7.0.
    let client = &srv.clients[client_key];
    if client.resp == 2 && client.subscribed() && !cmd.has_policy(policy::SUBSCRIBED_OK) {
        let name = reg.full_name(id);
        let e = CmdError::err(format!(
            "Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / \
             RESET are allowed in this context"
        ));
        return Err(reject(srv, client_key, id, e));
    }
    // A monitor touches no key: Redis refuses it as it refuses a replica, after the
    // subscribed-context check.
    if !srv.monitors.is_empty() && client.monitor && cmd.has(monitor::KEYSPACE_FLAGS) {
        let e = monitor::KEYSPACE_REFUSED.into();
        return Err(reject(srv, client_key, id, e));
    }
    if tx_flags.is_some() && cmd.has(flags::NO_MULTI) {
        let e = "ERR Command not allowed inside a transaction".into();
        return Err(reject(srv, client_key, id, e));
    }
    if queues {
        multi::queue(srv, client_key, id, args, out);
        return Ok(());
    }
    call(srv, client_key, id, args, out, now_ms)
}

/// Runs a command of a transaction: the call, its error (if any) written as its reply.
pub fn call_and_reply(
    srv: &mut Server,
    client_key: usize,
    id: CommandId,
    args: &Args,
    out: &mut Reply,
    now_ms: i64,
) {
    if let Err(e) = call(srv, client_key, id, args, out, now_ms) {
        reply_error(srv, out, &e);
    }
}

/// Calls a command's handler and records it in the statistics.
///
/// A command's duration runs from the end of whatever ran before it on the reactor (the
/// previous command, or the start of the batch: [`Server::begin_batch`]) to the end of its
/// handler, so each command reads the clock once. Work between commands that is nobody's
/// restarts that chain ([`Server::restart_command_timer`]). A nested call (a command of EXEC)
/// chains the same way, and EXEC's own duration includes them, as in Redis.
fn call(
    srv: &mut Server,
    client_key: usize,
    id: CommandId,
    args: &Args,
    out: &mut Reply,
    now_ms: i64,
) -> CmdResult {
    if srv.deferred_call.is_some() {
        // The reactor finishes a deferred call before the next command; this is a safety net.
        finish_deferred_call(srv);
    }
    let started = srv.command_timer;
    let cmd = registry().command(id);
    let clock = evict::initial_access(srv.config.maxmemory_policy, now_ms, srv.lru_now);
    let mut ctx = Ctx {
        srv,
        id,
        client_key,
        out,
        now_ms,
        clock,
    };
    // While `new` notifications are wanted the store logs the keys the command creates.
    let log_new = ctx.srv.wants_new_events();
    if log_new {
        ctx.srv.log_new_keys(true);
    }
    let result = (cmd.handler)(&mut ctx, args);
    if log_new {
        ctx.srv.drain_all_key_events();
        ctx.srv.log_new_keys(false);
    }
    // The client's own notifications that no `Ctx::notify` wrote yet follow its reply.
    ctx.write_own_frames();
    // Each handler counts its own changes in `srv.dirty`, exactly as Redis's command does.
    let srv = ctx.srv;
    // Client-side caching remembers what a tracking client read, errors included, as Redis.
    // Shard channels of the pub/sub commands are declared as keys but are not tracked.
    if cmd.has(table::flags::READONLY)
        && !cmd.has(table::flags::PUBSUB)
        && srv.clients[client_key].tracking.is_some()
    {
        let argv: Vec<&[u8]> = args.iter().collect();
        let keys = introspect::command_keys(cmd, &argv);
        srv.remember_keys(client_key, keys.iter().map(|k| argv[k.pos]));
    }
    // Monitors see the command once it ran (one branch when there is none).
    if !srv.monitors.is_empty() {
        monitor::feed(srv, client_key, id, args);
    }
    let finished = std::time::Instant::now();
    let usec = finished.saturating_duration_since(started).as_micros() as u64;
    srv.command_timer = finished;
    let failed = result.is_err();
    let nested = srv.clients.get(client_key).is_some_and(|c| c.in_exec);
    if srv.pubsub.has_deliveries() && !nested {
        // The reactor copies the messages into the subscribers' output right after this
        // returns; Redis's PUBLISH writes them itself, so that time is the command's own.
        srv.deferred_call = Some(DeferredCall {
            id,
            client_key,
            usec,
            failed,
            args_buf: args.iter().flatten().copied().collect(),
            lens: args.iter().map(<[u8]>::len).collect(),
        });
    } else {
        record_call(srv, client_key, id, args, usec, failed);
    }
    result
}

/// Called by the reactor once it has delivered the messages a command left: the command's
/// statistics and slow log entry include that work. The next command's duration starts now.
pub fn finish_deferred_call(srv: &mut Server) {
    let now = std::time::Instant::now();
    if let Some(call) = srv.deferred_call.take() {
        let delivery = now.saturating_duration_since(srv.command_timer).as_micros() as u64;
        let mut ranges = Vec::with_capacity(call.lens.len());
        let mut at = 0;
        for len in &call.lens {
            ranges.push(at..at + len);
            at += len;
        }
        let args = Args::new(&call.args_buf, &ranges);
        let usec = call.usec + delivery;
        record_call(srv, call.client_key, call.id, &args, usec, call.failed);
    }
    srv.command_timer = now;
}

/// Counts a finished command in INFO commandstats and offers it to the slow log.
fn record_call(
    srv: &mut Server,
    client_key: usize,
    id: CommandId,
    args: &Args,
    usec: u64,
    failed: bool,
) {
    let reg = registry();
    srv.stats.commands_processed += 1;
    let stat = &mut srv.command_stats[id];
    stat.calls += 1;
    stat.usec += usec;
    if failed {
        stat.failed += 1;
    }
    if !reg.command(id).has(flags::SKIP_SLOWLOG) {
        slowlog::record(srv, client_key, id, args, usec);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_text_shapes_arguments_as_redis_formats_them() {
        let shaped = |arg: &[u8]| {
            ErrorText::new("ERR Unsupported option ")
                .arg(arg)
                .into_bytes()
        };
        assert_eq!(shaped(b"\x00\xff"), b"ERR Unsupported option ");
        assert_eq!(shaped(b"a\xff\x00b"), b"ERR Unsupported option a\xff");
        assert_eq!(shaped(b"\r\na\rb\n"), b"ERR Unsupported option   a b");
        // The message is trimmed, not the code's separator.
        let lead = ErrorText::new("ERR ")
            .arg(b"\r\nx\r\n")
            .text("!")
            .into_bytes();
        assert_eq!(lead, b"ERR x  !");
        let short = ErrorText::new("ERR '")
            .arg_max(b"abcdef", 3)
            .text("'")
            .done();
        assert_eq!(short.bytes(), b"ERR 'abc'");
    }
}
