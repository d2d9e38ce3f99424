//! The command table: every command ferrodis knows, as data.
//!
//! Each family file (`string.rs`, `keys.rs`, …) declares a `COMMANDS` slice; [`FAMILIES`] joins
//! them into the one table that the dispatcher, COMMAND, INFO commandstats, ACL categories and
//! `docs/commands.md` all read. Container commands (CLIENT, CONFIG, OBJECT, COMMAND) carry
//! their subcommands in the same shape.

use std::sync::OnceLock;

use hashbrown::HashMap;

use super::argspec::{self, Arg};
use super::{CmdResult, Ctx};
use crate::resp::Args;

/// A command handler. Arity has been checked before it runs, so it may index its arguments.
pub type Handler = fn(&mut Ctx, &Args) -> CmdResult;

/// Command flags, as COMMAND INFO reports them (Redis 7.0 names).
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    pub const FAST: u32 = 1 << 11;
    pub const NO_AUTH: u32 = 1 << 12;
    pub const MAY_REPLICATE: u32 = 1 << 13;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 14;
    pub const NO_ASYNC_LOADING: u32 = 1 << 15;
    pub const NO_MULTI: u32 = 1 << 16;
    pub const MOVABLE_KEYS: u32 = 1 << 17;
    pub const ALLOW_BUSY: u32 = 1 << 18;
    /// ferrodis-only: the ACL category `@dangerous` applies although the command is not admin.
    pub const DANGEROUS: u32 = 1 << 19;
    /// ferrodis-only: the ACL category `@keyspace` applies although the group is not generic
    /// (SWAPDB, group `server`).
    pub const KEYSPACE: u32 = 1 << 20;
    /// ferrodis-only: the ACL category `@connection` applies although the group is not
    /// connection (COMMAND and its subcommands, group `server`).
    pub const CONNECTION: u32 = 1 << 21;
    /// ferrodis-only: the ACL category `@admin` (and so `@dangerous`) applies although the
    /// command has no `admin` flag (LASTSAVE).
    pub const ADMIN_CAT: u32 = 1 << 22;
    /// ferrodis-only: the ACL categories `@set @sortedset @list` replace the group's (SORT).
    pub const COLLECTION_CATEGORIES: u32 = 1 << 23;

    /// (flag, COMMAND INFO name) in the order Redis prints them.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// Command groups, as COMMAND DOCS reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Generic,
    String,
    List,
    Hash,
    Set,
    SortedSet,
    Connection,
    Server,
    Transactions,
    Pubsub,
    Bitmap,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Generic => "generic",
            Group::String => "string",
            Group::List => "list",
            Group::Hash => "hash",
            Group::Set => "set",
            Group::SortedSet => "sorted-set",
            Group::Connection => "connection",
            Group::Server => "server",
            Group::Transactions => "transactions",
            Group::Pubsub => "pubsub",
            Group::Bitmap => "bitmap",
        }
    }

    /// The ACL category every command of the group belongs to.
    pub fn acl_category(self) -> Option<&'static str> {
        match self {
            Group::Generic => Some("keyspace"),
            Group::String => Some("string"),
            Group::List => Some("list"),
            Group::Hash => Some("hash"),
            Group::Set => Some("set"),
            Group::SortedSet => Some("sortedset"),
            Group::Connection => Some("connection"),
            Group::Bitmap => Some("bitmap"),
            Group::Server | Group::Transactions | Group::Pubsub => None,
        }
    }
}

/// Which arguments are keys: Redis's (first, last, step); last < 0 counts from the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySpec {
    pub first: i32,
    pub last: i32,
    pub step: i32,
}

impl KeySpec {
    pub const NONE: KeySpec = KeySpec {
        first: 0,
        last: 0,
        step: 0,
    };
    pub const ONE: KeySpec = KeySpec {
        first: 1,
        last: 1,
        step: 1,
    };
    pub const ALL: KeySpec = KeySpec {
        first: 1,
        last: -1,
        step: 1,
    };
    pub const fn new(first: i32, last: i32, step: i32) -> KeySpec {
        KeySpec { first, last, step }
    }
}

/// One command (or subcommand).
#[derive(Debug)]
pub struct Command {
    /// Lower-case name; subcommands hold only their own part (`list` for CLIENT LIST).
    pub name: &'static str,
    /// Redis's convention: N means exactly N arguments including the name, -N at least N.
    pub arity: i32,
    pub flags: u32,
    pub keys: KeySpec,
    pub group: Group,
    pub summary: &'static str,
    pub since: &'static str,
    pub complexity: &'static str,
    /// The arguments in the notation of [`argspec`] (COMMAND DOCS `arguments`, redis-cli
    /// hints); `""` when the command takes none.
    pub args: &'static str,
    pub handler: Handler,
    pub subcommands: &'static [Command],
}

impl Command {
    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// ACL categories, derived from the group and flags as Redis derives them.
    pub fn acl_categories(&self) -> Vec<&'static str> {
        use flags::*;
        if !self.subcommands.is_empty() && self.flags == 0 {
            // A bare container (OBJECT, CLIENT, CONFIG) has no category of its own in Redis.
            return vec!["slow"];
        }
        let mut cats = Vec::new();
        if self.has(WRITE) {
            cats.push("write");
        }
        if self.has(READONLY) {
            cats.push("read");
        }
        if self.has(COLLECTION_CATEGORIES) {
            cats.extend(["set", "sortedset", "list"]);
        } else if let Some(c) = self.group.acl_category() {
            cats.push(c);
        } else if self.has(KEYSPACE) {
            cats.push("keyspace");
        } else if self.has(CONNECTION) {
            cats.push("connection");
        }
        if self.has(ADMIN) || self.has(ADMIN_CAT) {
            cats.push("admin");
        }
        if self.has(ADMIN) || self.has(ADMIN_CAT) || self.has(DANGEROUS) {
            cats.push("dangerous");
        }
        if self.has(PUBSUB) {
            cats.push("pubsub");
        }
        if self.has(FAST) {
            cats.push("fast");
        } else {
            cats.push("slow");
        }
        if self.has(BLOCKING) {
            cats.push("blocking");
        }
        if self.group == Group::Transactions {
            // Redis lists this category after the speed one.
            cats.push("transaction");
        }
        cats
    }

    /// Whether the (first, last, step) spec holds keys for an `argc`-argument call.
    pub fn key_positions(&self, argc: usize) -> Vec<usize> {
        let k = self.keys;
        if k.first <= 0 || k.step <= 0 {
            return Vec::new();
        }
        let last = if k.last < 0 {
            argc as i64 + k.last as i64
        } else {
            k.last as i64
        };
        (k.first as i64..=last)
            .step_by(k.step as usize)
            .filter(|&i| i > 0 && (i as usize) < argc)
            .map(|i| i as usize)
            .collect()
    }
}

/// Every command family's table.
pub static FAMILIES: &[&[Command]] = &[
    super::string::COMMANDS,
    super::bits::COMMANDS,
    super::keys::COMMANDS,
    super::sort::COMMANDS,
    super::hash::COMMANDS,
    super::list::COMMANDS,
    super::set::COMMANDS,
    super::zset::COMMANDS,
    super::expire::COMMANDS,
    super::conn::COMMANDS,
    super::server::COMMANDS,
    super::persist::COMMANDS,
    super::introspect::COMMANDS,
    super::multi::COMMANDS,
    super::pubsub::COMMANDS,
    super::slowlog::COMMANDS,
];

/// A command's position in [`Registry::all`], used to index per-command statistics.
pub type CommandId = usize;

/// Name lookup over the table, built once.
pub struct Registry {
    /// Every command, then every subcommand, each with its full name (`client|list`).
    pub all: Vec<(String, &'static Command)>,
    by_name: HashMap<Vec<u8>, CommandId>,
    /// For each top-level command id with subcommands: subcommand name -> id.
    subs: HashMap<CommandId, HashMap<Vec<u8>, CommandId>>,
    /// Each command's parsed `args`, by id.
    args: Vec<Vec<Arg>>,
}

static REGISTRY: OnceLock<Registry> = OnceLock::new();

/// The registry (built on first use).
pub fn registry() -> &'static Registry {
    REGISTRY.get_or_init(Registry::build)
}

/// Longest command name that can match; longer names are unknown without a lookup.
const MAX_NAME: usize = 32;

fn lowercase_into<'b>(name: &[u8], buf: &'b mut [u8; MAX_NAME]) -> Option<&'b [u8]> {
    if name.len() > MAX_NAME {
        return None;
    }
    for (dst, src) in buf.iter_mut().zip(name) {
        *dst = src.to_ascii_lowercase();
    }
    Some(&buf[..name.len()])
}

impl Registry {
    fn build() -> Registry {
        let mut reg = Registry {
            all: Vec::new(),
            by_name: HashMap::new(),
            subs: HashMap::new(),
            args: Vec::new(),
        };
        for family in FAMILIES {
            for cmd in family.iter() {
                let id = reg.all.len();
                reg.all.push((cmd.name.to_string(), cmd));
                reg.by_name.insert(cmd.name.as_bytes().to_vec(), id);
                if !cmd.subcommands.is_empty() {
                    let mut subs = HashMap::new();
                    for sub in cmd.subcommands {
                        let sid = reg.all.len();
                        reg.all.push((format!("{}|{}", cmd.name, sub.name), sub));
                        subs.insert(sub.name.as_bytes().to_vec(), sid);
                    }
                    reg.subs.insert(id, subs);
                }
            }
        }
        // A malformed spec is a bug in the static table, which the unit test
        // `every_arg_spec_parses` catches; the server then just documents no arguments.
        reg.args = reg
            .all
            .iter()
            .map(|(_, cmd)| argspec::parse(cmd.args).unwrap_or_default())
            .collect();
        reg
    }

    /// Looks a top-level command up by name, case-insensitively, without allocating.
    pub fn lookup(&self, name: &[u8]) -> Option<CommandId> {
        let mut buf = [0u8; MAX_NAME];
        let lower = lowercase_into(name, &mut buf)?;
        self.by_name.get(lower).copied()
    }

    /// Looks up subcommand `name` of command `parent`.
    pub fn lookup_sub(&self, parent: CommandId, name: &[u8]) -> Option<CommandId> {
        let mut buf = [0u8; MAX_NAME];
        let lower = lowercase_into(name, &mut buf)?;
        self.subs.get(&parent)?.get(lower).copied()
    }

    pub fn command(&self, id: CommandId) -> &'static Command {
        self.all[id].1
    }

    pub fn full_name(&self, id: CommandId) -> &str {
        &self.all[id].0
    }

    /// The command's arguments, as COMMAND DOCS describes them.
    pub fn args(&self, id: CommandId) -> &[Arg] {
        self.args.get(id).map_or(&[], |a| a.as_slice())
    }

    /// Top-level commands, in table order.
    pub fn top_level(&self) -> impl Iterator<Item = (CommandId, &'static Command)> + '_ {
        self.all
            .iter()
            .enumerate()
            .filter(|(_, (full, _))| !full.contains('|'))
            .map(|(id, (_, c))| (id, *c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_lowercase_and_short() {
        let reg = registry();
        let mut seen = std::collections::HashSet::new();
        for (full, cmd) in &reg.all {
            assert!(seen.insert(full.clone()), "duplicate {full}");
            assert_eq!(cmd.name, cmd.name.to_lowercase());
            assert!(cmd.name.len() <= MAX_NAME);
            assert!(cmd.arity != 0, "{full} has arity 0");
            assert!(!cmd.summary.is_empty(), "{full} has no summary");
        }
    }

    #[test]
    fn every_arg_spec_parses() {
        let errors: Vec<String> = registry()
            .all
            .iter()
            .filter_map(|(full, cmd)| {
                argspec::parse(cmd.args)
                    .err()
                    .map(|e| format!("{full}: {e}"))
            })
            .collect();
        assert!(errors.is_empty(), "malformed arg specs: {errors:#?}");
    }

    /// Fewest words an argument takes, and whether it can take more.
    fn words(arg: &Arg) -> (usize, bool) {
        let (min, open) = match &arg.kind {
            argspec::Kind::OneOf(alts) => {
                let lens: Vec<(usize, bool)> = alts.iter().map(words).collect();
                let min = lens.iter().map(|w| w.0).min().unwrap_or(0);
                (min, lens.iter().any(|w| w.1 || w.0 != min))
            }
            argspec::Kind::Block(seq) => seq
                .iter()
                .map(words)
                .fold((0, false), |a, w| (a.0 + w.0, a.1 || w.1)),
            _ => (1, false),
        };
        let token = usize::from(arg.token.is_some() && arg.kind != argspec::Kind::PureToken);
        if arg.optional {
            (0, true)
        } else {
            (min + token, open || arg.multiple)
        }
    }

    /// Commands whose arity does not follow from their documented arguments.
    const ARITY_NOT_FROM_ARGS: &[&str] = &[
        // ferrodis: a bare KEYS is the legacy spelling of KEYS * (see its entry).
        "keys",
        // Redis 7.0 documents no arguments for these, yet QUIT ignores any, DEBUG needs a
        // subcommand and GETKEYS needs a command.
        "quit",
        "debug",
        "command|getkeys",
        "command|getkeysandflags",
        // Redis 7.0: the new form's filters are all optional in the docs, but at least one
        // pair is needed (arity -3).
        "client|kill",
    ];

    #[test]
    fn arg_specs_agree_with_arity_and_key_positions() {
        let reg = registry();
        let mut wrong = Vec::new();
        for (id, (full, cmd)) in reg.all.iter().enumerate() {
            if !cmd.subcommands.is_empty() {
                continue;
            }
            let args = reg.args(id);
            let (min, open) = args
                .iter()
                .map(words)
                .fold((0, false), |a, w| (a.0 + w.0, a.1 || w.1));
            let fixed = 1 + full.contains('|') as usize + min;
            let arity = if open { -(fixed as i32) } else { fixed as i32 };
            if arity != cmd.arity && !ARITY_NOT_FROM_ARGS.contains(&full.as_str()) {
                wrong.push(format!("{full}: arity {} but args say {arity}", cmd.arity));
            }
            fn has_key(args: &[Arg]) -> bool {
                args.iter()
                    .any(|a| matches!(a.kind, argspec::Kind::Key(_)) || has_key(a.children()))
            }
            // Commands with a numkeys argument find their keys at run time (movablekeys); the
            // key spec of a pub/sub command (SSUBSCRIBE) holds channels, which are no keys.
            let keys =
                (cmd.keys.first > 0 && !cmd.has(flags::PUBSUB)) || cmd.has(flags::MOVABLE_KEYS);
            if has_key(args) != keys {
                wrong.push(format!("{full}: key args disagree with {:?}", cmd.keys));
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn lookup_ignores_case() {
        let reg = registry();
        let get = reg.lookup(b"get").unwrap();
        assert_eq!(reg.lookup(b"GeT"), Some(get));
        assert_eq!(reg.lookup(b"nosuchcommand"), None);
    }
}
