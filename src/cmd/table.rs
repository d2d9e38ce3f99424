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
    /// Never declared: derived from the key specs ([`super::Command::movable_keys`]).
    pub const MOVABLE_KEYS: u32 = 1 << 17;
    pub const ALLOW_BUSY: u32 = 1 << 18;

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

/// ACL categories (Redis 7.0's `ACL CAT`), one bit each, in the order Redis lists them.
///
/// A table entry declares only the categories its Redis JSON file declares; the ones Redis
/// derives from the flags (`@write`, `@read`, `@admin`/`@dangerous`, `@pubsub`, `@fast`,
/// `@blocking`, else `@slow`) are added by [`Command::acl_categories`].
pub mod acl {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const READ: u32 = 1 << 1;
    pub const WRITE: u32 = 1 << 2;
    pub const SET: u32 = 1 << 3;
    pub const SORTEDSET: u32 = 1 << 4;
    pub const LIST: u32 = 1 << 5;
    pub const HASH: u32 = 1 << 6;
    pub const STRING: u32 = 1 << 7;
    pub const BITMAP: u32 = 1 << 8;
    pub const HYPERLOGLOG: u32 = 1 << 9;
    pub const GEO: u32 = 1 << 10;
    pub const STREAM: u32 = 1 << 11;
    pub const PUBSUB: u32 = 1 << 12;
    pub const ADMIN: u32 = 1 << 13;
    pub const FAST: u32 = 1 << 14;
    pub const SLOW: u32 = 1 << 15;
    pub const BLOCKING: u32 = 1 << 16;
    pub const DANGEROUS: u32 = 1 << 17;
    pub const CONNECTION: u32 = 1 << 18;
    pub const TRANSACTION: u32 = 1 << 19;
    pub const SCRIPTING: u32 = 1 << 20;

    /// (category, name without `@`), in bit order, which is Redis's listing order.
    pub const NAMES: &[(u32, &str)] = &[
        (KEYSPACE, "keyspace"),
        (READ, "read"),
        (WRITE, "write"),
        (SET, "set"),
        (SORTEDSET, "sortedset"),
        (LIST, "list"),
        (HASH, "hash"),
        (STRING, "string"),
        (BITMAP, "bitmap"),
        (HYPERLOGLOG, "hyperloglog"),
        (GEO, "geo"),
        (STREAM, "stream"),
        (PUBSUB, "pubsub"),
        (ADMIN, "admin"),
        (FAST, "fast"),
        (SLOW, "slow"),
        (BLOCKING, "blocking"),
        (DANGEROUS, "dangerous"),
        (CONNECTION, "connection"),
        (TRANSACTION, "transaction"),
        (SCRIPTING, "scripting"),
    ];

    /// The category called `name` (case-insensitive, without `@`).
    pub fn by_name(name: &[u8]) -> Option<u32> {
        NAMES
            .iter()
            .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(name))
            .map(|(bit, _)| *bit)
    }
}

/// Key-spec flags (Redis 7.0's `CMD_KEY_*`): how a command uses the keys a spec finds.
pub mod key_flags {
    /// Read-only: reads the value, never modifies it.
    pub const RO: u32 = 1 << 0;
    /// Read-write: modifies the value, reading or deleting it.
    pub const RW: u32 = 1 << 1;
    /// Overwrite: replaces the value without reading it.
    pub const OW: u32 = 1 << 2;
    /// Remove: deletes the key.
    pub const RM: u32 = 1 << 3;
    /// Returns, copies or uses the user data.
    pub const ACCESS: u32 = 1 << 4;
    /// Updates data of an existing value.
    pub const UPDATE: u32 = 1 << 5;
    /// Adds data to the value without touching what is there.
    pub const INSERT: u32 = 1 << 6;
    /// Removes data from the value.
    pub const DELETE: u32 = 1 << 7;
    /// Not a key (a channel, a script's name), though found like one.
    pub const NOT_KEY: u32 = 1 << 8;
    /// The spec may miss keys: use GETKEYS to find them all.
    pub const INCOMPLETE: u32 = 1 << 9;
    /// The flags depend on other arguments (SET … GET): GETKEYSANDFLAGS tells.
    pub const VARIABLE_FLAGS: u32 = 1 << 10;

    /// (flag, name) in the order Redis prints them.
    pub const NAMES: &[(u32, &str)] = &[
        (RO, "RO"),
        (RW, "RW"),
        (OW, "OW"),
        (RM, "RM"),
        (ACCESS, "access"),
        (UPDATE, "update"),
        (INSERT, "insert"),
        (DELETE, "delete"),
        (NOT_KEY, "not_key"),
        (INCOMPLETE, "incomplete"),
        (VARIABLE_FLAGS, "variable_flags"),
    ];
}

/// Command tips (Redis 7.0's `command_tips`), as COMMAND INFO spells them.
pub mod tips {
    pub const NONDETERMINISTIC_OUTPUT: &str = "nondeterministic_output";
    pub const NONDETERMINISTIC_OUTPUT_ORDER: &str = "nondeterministic_output_order";
    pub const REQUEST_ALL_NODES: &str = "request_policy:all_nodes";
    pub const REQUEST_ALL_SHARDS: &str = "request_policy:all_shards";
    pub const REQUEST_MULTI_SHARD: &str = "request_policy:multi_shard";
    pub const REQUEST_SPECIAL: &str = "request_policy:special";
    pub const RESPONSE_ONE_SUCCEEDED: &str = "response_policy:one_succeeded";
    pub const RESPONSE_ALL_SUCCEEDED: &str = "response_policy:all_succeeded";
    pub const RESPONSE_AGG_LOGICAL_AND: &str = "response_policy:agg_logical_and";
    pub const RESPONSE_AGG_LOGICAL_OR: &str = "response_policy:agg_logical_or";
    pub const RESPONSE_AGG_MIN: &str = "response_policy:agg_min";
    pub const RESPONSE_AGG_MAX: &str = "response_policy:agg_max";
    pub const RESPONSE_AGG_SUM: &str = "response_policy:agg_sum";
    pub const RESPONSE_SPECIAL: &str = "response_policy:special";
}

/// COMMAND DOCS `doc_flags`.
pub mod doc_flags {
    /// Deprecated: COMMAND DOCS names the version and the replacement.
    pub const DEPRECATED: u32 = 1 << 0;
    /// A system command, not meant for applications (DEBUG).
    pub const SYSCMD: u32 = 1 << 1;

    /// (flag, name) in the order Redis prints them.
    pub const NAMES: &[(u32, &str)] = &[(DEPRECATED, "deprecated"), (SYSCMD, "syscmd")];
}

/// Dispatch policy that Redis decides by comparing a command's function (`c->cmd->proc ==
/// execCommand`); ferrodis declares it in the table instead. Never reported by COMMAND.
pub mod policy {
    /// Runs at once inside MULTI instead of being queued (EXEC, DISCARD, MULTI, WATCH, QUIT,
    /// RESET).
    pub const NOT_QUEUED: u32 = 1 << 0;
    /// Not refused by the maxmemory check inside MULTI (EXEC, DISCARD, QUIT, RESET).
    pub const OOM_OK_IN_MULTI: u32 = 1 << 1;
    /// Allowed in a RESP2 connection that is subscribed (the (P|S)(UN)SUBSCRIBE family, PING,
    /// QUIT, RESET).
    pub const SUBSCRIBED_OK: u32 = 1 << 2;
    /// Refused, as writes are, while snapshots fail (`stop-writes-on-bgsave-error`): PING, so
    /// that monitoring notices the failing disk.
    pub const MISCONF_REFUSED: u32 = 1 << 3;
    /// EXEC: a refusal discards the transaction with the reason (EXECABORT), and the checks
    /// that read a command's flags read the queued commands' flags instead.
    pub const EXEC: u32 = 1 << 4;
    /// ferrodis's legacy bare spelling is accepted besides the Redis arity (`KEYS` alone means
    /// `KEYS *`).
    pub const BARE_OK: u32 = 1 << 5;
    /// The arguments are secrets: SLOWLOG shows them as `(redacted)` (AUTH; Redis's
    /// `redactClientCommandArgument`).
    pub const REDACT_ARGS: u32 = 1 << 6;
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
}

/// Where a key spec starts looking (Redis 7.0's `begin_search`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BeginSearch {
    /// The keys cannot be found from the arguments alone (SORT's BY and GET patterns).
    Unknown,
    /// At this argument index.
    Index(i32),
    /// After the first argument equal to `keyword`, searching from `startfrom` (negative:
    /// from the end, backwards).
    Keyword {
        keyword: &'static str,
        startfrom: i32,
    },
}

/// How a key spec finds its keys from where the search began (Redis 7.0's `find_keys`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindKeys {
    Unknown,
    /// Keys up to `lastkey` (relative to the start; negative counts from the end), every
    /// `keystep` arguments; a non-zero `limit` with lastkey -1 stops at 1/limit of the rest.
    Range {
        lastkey: i32,
        keystep: i32,
        limit: i32,
    },
    /// The argument at `keynumidx` (relative to the start) says how many keys follow,
    /// starting at `firstkey` (relative to the start), every `keystep` arguments.
    Keynum {
        keynumidx: i32,
        firstkey: i32,
        keystep: i32,
    },
}

/// One key specification: which arguments are keys, and how the command uses them.
///
/// Written as a const builder in the table: `KeySpec::at(1).flags(RO | ACCESS)` is one key at
/// index 1; `.range(-1, 1, 0)`, `.keynum(0, 1, 1)`, [`KeySpec::keyword`] and
/// [`KeySpec::unknown`] describe the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySpec {
    /// [`key_flags`] bits.
    pub flags: u32,
    pub begin: BeginSearch,
    pub find: FindKeys,
    /// Redis's `notes`; `""` when none.
    pub notes: &'static str,
}

impl KeySpec {
    /// One key at argument `index` (a range of one; see [`KeySpec::range`]).
    pub const fn at(index: i32) -> KeySpec {
        KeySpec {
            flags: 0,
            begin: BeginSearch::Index(index),
            find: FindKeys::Range {
                lastkey: 0,
                keystep: 1,
                limit: 0,
            },
            notes: "",
        }
    }

    /// Keys found after `keyword` (see [`BeginSearch::Keyword`]), one unless changed.
    pub const fn keyword(keyword: &'static str, startfrom: i32) -> KeySpec {
        KeySpec {
            begin: BeginSearch::Keyword { keyword, startfrom },
            ..KeySpec::at(0)
        }
    }

    /// Keys that cannot be found from the arguments.
    pub const fn unknown() -> KeySpec {
        KeySpec {
            flags: 0,
            begin: BeginSearch::Unknown,
            find: FindKeys::Unknown,
            notes: "",
        }
    }

    pub const fn range(mut self, lastkey: i32, keystep: i32, limit: i32) -> KeySpec {
        self.find = FindKeys::Range {
            lastkey,
            keystep,
            limit,
        };
        self
    }

    pub const fn keynum(mut self, keynumidx: i32, firstkey: i32, keystep: i32) -> KeySpec {
        self.find = FindKeys::Keynum {
            keynumidx,
            firstkey,
            keystep,
        };
        self
    }

    pub const fn flags(mut self, flags: u32) -> KeySpec {
        self.flags = flags;
        self
    }

    pub const fn notes(mut self, notes: &'static str) -> KeySpec {
        self.notes = notes;
        self
    }

    /// A plain `(index, range)` spec: the only kind the legacy (first, last, step) can
    /// describe.
    fn plain_range(&self) -> Option<(i32, i32, i32)> {
        match (self.begin, self.find) {
            (
                BeginSearch::Index(pos),
                FindKeys::Range {
                    lastkey, keystep, ..
                },
            ) => Some((pos, lastkey, keystep)),
            _ => None,
        }
    }
}

/// Redis's native `getkeys_proc`: how COMMAND GETKEYS finds the keys when the key specs
/// cannot (an unknown or incomplete spec, variable flags, a bad numkeys).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GetKeys {
    /// No procedure: the key specs say it all.
    Specs,
    /// Redis's `genericGetKeys`: a key count at `count`, then that many keys from `first`;
    /// a destination at `store` unless 0 (listed last).
    NumKeys { store: u8, count: u8, first: u8 },
    /// SORT: the sorted key and the last STORE destination.
    Sort,
    /// SORT_RO: the sorted key.
    SortRo,
    /// SET: the key, its flags depending on GET.
    Set,
}

/// One command (or subcommand), declared in the family files with the const builder:
///
/// ```text
/// Command::new("get", 2, get)
///     .group(Group::String)
///     .flags(READONLY | FAST)
///     .acl(acl::STRING)
///     .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
///     .summary("Get the value of a key")
///     .since("1.0.0")
///     .complexity("O(1)")
///     .args("key:key"),
/// ```
#[derive(Debug)]
pub struct Command {
    /// Lower-case name; subcommands hold only their own part (`list` for CLIENT LIST).
    pub name: &'static str,
    /// Redis's convention: N means exactly N arguments including the name, -N at least N.
    pub arity: i32,
    /// [`flags`] bits as declared (MOVABLE_KEYS is derived, never declared).
    pub flags: u32,
    /// [`policy`] bits.
    pub policy: u32,
    /// The declared [`acl`] categories (the ones Redis derives from the flags are added).
    pub acl: u32,
    pub key_specs: &'static [KeySpec],
    pub getkeys: GetKeys,
    /// [`tips`], in Redis's order.
    pub tips: &'static [&'static str],
    pub group: Group,
    pub summary: &'static str,
    pub since: &'static str,
    pub complexity: &'static str,
    /// [`doc_flags`] bits.
    pub doc_flags: u32,
    /// For a deprecated command: the version that deprecated it and what replaces it.
    pub deprecated: Option<(&'static str, &'static str)>,
    /// COMMAND DOCS `history`: (version, change), oldest first.
    pub history: &'static [(&'static str, &'static str)],
    /// The arguments in the notation of [`argspec`] (COMMAND DOCS `arguments`, redis-cli
    /// hints); `""` when the command takes none.
    pub args: &'static str,
    pub handler: Handler,
    pub subcommands: &'static [Command],
}

impl Command {
    /// A command with no flags, keys, categories, tips, docs or subcommands yet.
    pub const fn new(name: &'static str, arity: i32, handler: Handler) -> Command {
        Command {
            name,
            arity,
            flags: 0,
            policy: 0,
            acl: 0,
            key_specs: &[],
            getkeys: GetKeys::Specs,
            tips: &[],
            group: Group::Generic,
            summary: "",
            since: "",
            complexity: "",
            doc_flags: 0,
            deprecated: None,
            history: &[],
            args: "",
            handler,
            subcommands: &[],
        }
    }

    pub const fn group(mut self, group: Group) -> Command {
        self.group = group;
        self
    }

    pub const fn flags(mut self, flags: u32) -> Command {
        self.flags = flags;
        self
    }

    pub const fn policy(mut self, policy: u32) -> Command {
        self.policy = policy;
        self
    }

    pub const fn acl(mut self, categories: u32) -> Command {
        self.acl = categories;
        self
    }

    pub const fn keys(mut self, specs: &'static [KeySpec]) -> Command {
        self.key_specs = specs;
        self
    }

    pub const fn getkeys(mut self, getkeys: GetKeys) -> Command {
        self.getkeys = getkeys;
        self
    }

    pub const fn tips(mut self, tips: &'static [&'static str]) -> Command {
        self.tips = tips;
        self
    }

    pub const fn summary(mut self, summary: &'static str) -> Command {
        self.summary = summary;
        self
    }

    pub const fn since(mut self, since: &'static str) -> Command {
        self.since = since;
        self
    }

    pub const fn complexity(mut self, complexity: &'static str) -> Command {
        self.complexity = complexity;
        self
    }

    /// Marks the command deprecated since `since`, replaced by `replaced_by` (COMMAND DOCS).
    pub const fn deprecated(mut self, since: &'static str, replaced_by: &'static str) -> Command {
        self.doc_flags |= doc_flags::DEPRECATED;
        self.deprecated = Some((since, replaced_by));
        self
    }

    pub const fn doc_flags(mut self, flags: u32) -> Command {
        self.doc_flags |= flags;
        self
    }

    pub const fn history(mut self, history: &'static [(&'static str, &'static str)]) -> Command {
        self.history = history;
        self
    }

    pub const fn args(mut self, args: &'static str) -> Command {
        self.args = args;
        self
    }

    pub const fn subcommands(mut self, subcommands: &'static [Command]) -> Command {
        self.subcommands = subcommands;
        self
    }

    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    pub fn has_policy(&self, bit: u32) -> bool {
        self.policy & bit != 0
    }

    /// The flags COMMAND INFO reports: the declared ones, plus `movablekeys` when derived.
    pub fn info_flags(&self) -> u32 {
        if self.movable_keys() {
            self.flags | flags::MOVABLE_KEYS
        } else {
            self.flags
        }
    }

    /// All ACL categories: the declared ones plus those Redis's `setImplicitACLCategories`
    /// derives from the flags.
    pub fn acl_categories(&self) -> u32 {
        let mut cats = self.acl;
        for (flag, cat) in [
            (flags::WRITE, acl::WRITE),
            (flags::ADMIN, acl::ADMIN | acl::DANGEROUS),
            (flags::PUBSUB, acl::PUBSUB),
            (flags::FAST, acl::FAST),
            (flags::BLOCKING, acl::BLOCKING),
        ] {
            if self.has(flag) {
                cats |= cat;
            }
        }
        // Scripting commands are not @read, although read-only.
        if self.has(flags::READONLY) && cats & acl::SCRIPTING == 0 {
            cats |= acl::READ;
        }
        if cats & acl::FAST == 0 {
            cats |= acl::SLOW;
        }
        cats
    }

    /// Redis's legacy (first, last, step) range, derived from the key specs as Redis's
    /// `populateCommandLegacyRangeSpec` does: the plain consecutive `(index, range)` specs of
    /// step 1 merged into one; (0, 0, 0) when there are none. `last` is absolute (negative
    /// counts from the end), as COMMAND INFO reports it.
    pub fn legacy_range(&self) -> (i32, i32, i32) {
        if let [only] = self.key_specs {
            return match only.plain_range() {
                Some((pos, last, step)) => (pos, if last >= 0 { pos + last } else { last }, step),
                None => (0, 0, 0),
            };
        }
        let (mut first, mut last, mut prev_last) = (i32::MAX, 0i32, 0i32);
        for spec in self.key_specs {
            let Some((pos, lastkey, step)) = spec.plain_range() else {
                continue;
            };
            if step != 1 || (prev_last != 0 && prev_last != pos - 1) {
                continue;
            }
            first = first.min(pos);
            let abs = if lastkey >= 0 { lastkey + pos } else { lastkey };
            // Redis compares as unsigned, so a negative (from the end) last key wins.
            last = if (abs as u32) > (last as u32) {
                abs
            } else {
                last
            };
            prev_last = last;
        }
        if first == i32::MAX {
            (0, 0, 0)
        } else {
            (first, last, 1)
        }
    }

    /// Whether the keys cannot all be found from the legacy range (Redis's `movablekeys`):
    /// a spec that is not a plain step-1 consecutive index range, or an incomplete one.
    pub fn movable_keys(&self) -> bool {
        if let [only] = self.key_specs {
            return only.plain_range().is_none() || only.flags & key_flags::INCOMPLETE != 0;
        }
        let mut prev_last = 0i32;
        for spec in self.key_specs {
            let Some((pos, lastkey, step)) = spec.plain_range() else {
                return true;
            };
            if step != 1 || (prev_last != 0 && prev_last != pos - 1) {
                return true;
            }
            if spec.flags & key_flags::INCOMPLETE != 0 {
                return true;
            }
            let abs = if lastkey >= 0 { lastkey + pos } else { lastkey };
            prev_last = if (abs as u32) > (prev_last as u32) {
                abs
            } else {
                prev_last
            };
        }
        false
    }

    /// Whether COMMAND GETKEYS can find keys for the command (Redis's `doesCommandHaveKeys`):
    /// a getkeys procedure, or a key spec that names real keys.
    pub fn has_keys(&self) -> bool {
        self.getkeys != GetKeys::Specs
            || self
                .key_specs
                .iter()
                .any(|s| s.flags & key_flags::NOT_KEY == 0)
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
    super::memory::COMMANDS,
    super::multi::COMMANDS,
    super::pubsub::COMMANDS,
    super::slowlog::COMMANDS,
    super::monitor::COMMANDS,
    super::acl::COMMANDS,
];

/// A command's position in [`Registry::all`], used to index per-command statistics.
pub type CommandId = usize;

/// Name lookup over the table, built once.
pub struct Registry {
    /// Every command, then every subcommand, each with its full name (`client|list`).
    pub all: Vec<(String, &'static Command)>,
    by_name: super::name_index::NameIndex,
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
            by_name: super::name_index::NameIndex::new([]),
            subs: HashMap::new(),
            args: Vec::new(),
        };
        for family in FAMILIES {
            for cmd in family.iter() {
                let id = reg.all.len();
                reg.all.push((cmd.name.to_string(), cmd));
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
        let top_level = reg
            .all
            .iter()
            .enumerate()
            .filter(|(_, (full, _))| !full.contains('|'))
            .map(|(id, (full, _))| (full.as_bytes(), id));
        reg.by_name = super::name_index::NameIndex::new(top_level);
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
        self.by_name.get(name)
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

/// The names commands answer to. Without `rename-command` these are the table's own and
/// every lookup goes straight to the [`Registry`]; with it, a name index built once at start-up
/// maps the names in force to the same static entries, as Redis 7.0 re-keys its command dict:
/// the old name is unknown, the new one finds the command, and a command renamed to "" is
/// gone. The command keeps its own name everywhere it is shown (COMMAND INFO/LIST/DOCS, error
/// texts, INFO commandstats), as in Redis; one renamed to "" is left out of COMMAND, COMMAND
/// COUNT, COMMAND LIST and COMMAND DOCS.
#[derive(Debug, Default)]
pub struct CommandNames {
    renamed: Option<Box<Renamed>>,
}

/// The renamed names, once the config file asked for any (see [`install_renames`]).
static NAMES: OnceLock<CommandNames> = OnceLock::new();

/// Applies the config file's `rename-command` lines for the rest of the process, before the
/// server starts (Redis renames in its one command dict while loading its config). A no-op
/// without renames; an error for a bad rename, or when renames were installed already.
pub fn install_renames(renames: &[(String, String)]) -> Result<(), String> {
    if renames.is_empty() {
        return Ok(());
    }
    let names = CommandNames::build(renames)?;
    NAMES
        .set(names)
        .map_err(|_| "rename-command: the command names were set already".to_string())
}

/// The names commands answer to now.
pub fn names() -> &'static CommandNames {
    static PLAIN: CommandNames = CommandNames { renamed: None };
    NAMES.get().unwrap_or(&PLAIN)
}

#[derive(Debug)]
struct Renamed {
    /// Top-level name in force -> command.
    by_name: super::name_index::NameIndex,
    /// By command id (subcommands included): no name reaches it any more.
    gone: Vec<bool>,
}

impl CommandNames {
    /// Applies the config file's `rename-command` lines in order, with Redis's start-up errors
    /// (`No such command in rename-command`, `Target command name already exists`).
    pub fn build(renames: &[(String, String)]) -> Result<CommandNames, String> {
        if renames.is_empty() {
            return Ok(CommandNames::default());
        }
        let reg = registry();
        let mut by_name: HashMap<Vec<u8>, CommandId> = reg
            .top_level()
            .map(|(id, cmd)| (cmd.name.as_bytes().to_vec(), id))
            .collect();
        for (from, to) in renames {
            let from_key = from.to_ascii_lowercase().into_bytes();
            let Some(id) = by_name.remove(&from_key) else {
                return Err(format!(
                    "rename-command {from} {to}: No such command in rename-command"
                ));
            };
            if to.is_empty() {
                continue;
            }
            let to_key = to.to_ascii_lowercase().into_bytes();
            if to_key.len() > MAX_NAME {
                return Err(format!(
                    "rename-command {from} {to}: names longer than {MAX_NAME} bytes are not \
                     supported"
                ));
            }
            if by_name.insert(to_key, id).is_some() {
                return Err(format!(
                    "rename-command {from} {to}: Target command name already exists"
                ));
            }
        }
        let reachable: std::collections::HashSet<CommandId> = by_name.values().copied().collect();
        let gone = reg
            .all
            .iter()
            .enumerate()
            .map(|(id, (full, _))| {
                let top = match full.split_once('|') {
                    Some((parent, _)) => reg.lookup(parent.as_bytes()),
                    None => Some(id),
                };
                !top.is_some_and(|top| reachable.contains(&top))
            })
            .collect();
        let by_name =
            super::name_index::NameIndex::new(by_name.iter().map(|(name, &id)| (&name[..], id)));
        Ok(CommandNames {
            renamed: Some(Box::new(Renamed { by_name, gone })),
        })
    }

    /// The top-level command `name` calls now, case-insensitively, without allocating.
    pub fn lookup(&self, name: &[u8]) -> Option<CommandId> {
        match &self.renamed {
            None => registry().lookup(name),
            Some(r) => r.by_name.get(name),
        }
    }

    /// Whether command `id` (or subcommand) can still be called by some name, so that
    /// COMMAND and COMMAND LIST show it.
    pub fn listed(&self, id: CommandId) -> bool {
        self.renamed
            .as_ref()
            .is_none_or(|r| !r.gone.get(id).copied().unwrap_or(true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renamed_commands_answer_to_their_new_name_only() {
        let renames = |pairs: &[(&str, &str)]| {
            let owned: Vec<(String, String)> = pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            CommandNames::build(&owned)
        };
        let reg = registry();
        let get = reg.lookup(b"get").unwrap();
        let config = reg.lookup(b"config").unwrap();
        let config_get = reg.lookup_sub(config, b"get").unwrap();
        let flushall = reg.lookup(b"flushall").unwrap();
        let names = renames(&[("GET", "fetch"), ("config", ""), ("set", "get")]).unwrap();
        assert_eq!(names.lookup(b"FETCH"), Some(get));
        assert_eq!(names.lookup(b"get"), reg.lookup(b"set"));
        assert_eq!(names.lookup(b"set"), None);
        assert_eq!(names.lookup(b"config"), None);
        assert!(!names.listed(config) && !names.listed(config_get));
        assert!(names.listed(get) && names.listed(flushall));
        assert_eq!(
            renames(&[("nosuch", "x")]).unwrap_err(),
            "rename-command nosuch x: No such command in rename-command"
        );
        assert_eq!(
            renames(&[("get", "set")]).unwrap_err(),
            "rename-command get set: Target command name already exists"
        );
        assert!(renames(&[("config|get", "x")]).is_err());
        let plain = CommandNames::default();
        assert_eq!(plain.lookup(b"GeT"), Some(get));
        assert!(plain.listed(config_get));
    }

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

    /// How many `key` arguments each key spec has in the documented arguments.
    fn key_args_per_spec(args: &[Arg], counts: &mut Vec<usize>) {
        for arg in args {
            if let argspec::Kind::Key(i) | argspec::Kind::PatternKey(i) = arg.kind {
                let i = i as usize;
                if counts.len() <= i {
                    counts.resize(i + 1, 0);
                }
                counts[i] += 1;
            }
            key_args_per_spec(arg.children(), counts);
        }
    }

    #[test]
    fn arg_specs_agree_with_arity_and_key_specs() {
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
            // Every key spec is referred to by at least one documented argument, and every
            // key argument refers to a spec that exists. A `not_key` spec (the shard channel
            // of SSUBSCRIBE & co.) is documented as a plain string, as Redis documents it.
            let mut counts = Vec::new();
            key_args_per_spec(args, &mut counts);
            let key_specs = cmd
                .key_specs
                .iter()
                .filter(|s| s.flags & key_flags::NOT_KEY == 0)
                .count();
            if counts.len() != key_specs || counts.contains(&0) {
                wrong.push(format!(
                    "{full}: {key_specs} key specs but the arguments refer to {counts:?}"
                ));
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn legacy_range_and_movablekeys_follow_the_key_specs() {
        use key_flags::*;
        let cmd = |specs: &'static [KeySpec]| Command::new("x", -2, |_, _| Ok(())).keys(specs);
        // One plain range is reported as it is (MSET: step 2, last from the end).
        let mset = cmd({
            const S: &[KeySpec] = &[KeySpec::at(1).range(-1, 2, 0).flags(OW | UPDATE)];
            S
        });
        assert_eq!(
            (mset.legacy_range(), mset.movable_keys()),
            ((1, -1, 2), false)
        );
        // Consecutive single keys merge (RENAME, LMOVE).
        let rename = cmd({
            const S: &[KeySpec] = &[KeySpec::at(1).flags(RW), KeySpec::at(2).flags(OW)];
            S
        });
        assert_eq!(
            (rename.legacy_range(), rename.movable_keys()),
            ((1, 2, 1), false)
        );
        // A keynum spec is movable and is left out of the range (ZUNIONSTORE).
        let zus = cmd({
            const S: &[KeySpec] = &[
                KeySpec::at(1).flags(OW),
                KeySpec::at(2).keynum(0, 1, 1).flags(RO),
            ];
            S
        });
        assert_eq!((zus.legacy_range(), zus.movable_keys()), ((1, 1, 1), true));
        let lmpop = cmd({
            const S: &[KeySpec] = &[KeySpec::at(1).keynum(0, 1, 1).flags(RW)];
            S
        });
        assert_eq!(
            (lmpop.legacy_range(), lmpop.movable_keys()),
            ((0, 0, 0), true)
        );
        // An incomplete single range still gives the range, but keys move.
        let inc = cmd({
            const S: &[KeySpec] = &[KeySpec::at(1).flags(RO | INCOMPLETE)];
            S
        });
        assert_eq!((inc.legacy_range(), inc.movable_keys()), ((1, 1, 1), true));
        // Non-consecutive ranges: the first one, movable.
        let gap = cmd({
            const S: &[KeySpec] = &[KeySpec::at(1).flags(RO), KeySpec::at(3).flags(RO)];
            S
        });
        assert_eq!((gap.legacy_range(), gap.movable_keys()), ((1, 1, 1), true));
        let none = cmd({
            const S: &[KeySpec] = &[];
            S
        });
        assert_eq!(
            (none.legacy_range(), none.movable_keys()),
            ((0, 0, 0), false)
        );
    }

    #[test]
    fn implicit_acl_categories_come_from_the_flags() {
        let c = Command::new("x", 1, |_, _| Ok(()))
            .flags(flags::WRITE | flags::ADMIN)
            .acl(acl::KEYSPACE);
        assert_eq!(
            c.acl_categories(),
            acl::KEYSPACE | acl::WRITE | acl::ADMIN | acl::DANGEROUS | acl::SLOW
        );
        let r = Command::new("y", 1, |_, _| Ok(()))
            .flags(flags::READONLY | flags::FAST | flags::BLOCKING)
            .acl(acl::LIST);
        assert_eq!(
            r.acl_categories(),
            acl::READ | acl::LIST | acl::FAST | acl::BLOCKING
        );
    }

    #[test]
    fn lookup_ignores_case() {
        let reg = registry();
        let get = reg.lookup(b"get").unwrap();
        assert_eq!(reg.lookup(b"GeT"), Some(get));
        assert_eq!(reg.lookup(b"nosuchcommand"), None);
    }
}
