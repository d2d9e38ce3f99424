//! ACL users and the ACL log as data: who may run which commands on which keys and channels.
//! The rules that build them, their descriptions and the permission check are `crate::acl`'s,
//! which compiles rules against the command table; here a command is only its table id.

use std::collections::BTreeMap;

use super::CommandId;

/// Key pattern permissions (`%R~`, `%W~`; `~` is both).
pub const KEY_READ: u8 = 1;
pub const KEY_WRITE: u8 = 2;
pub const KEY_ALL: u8 = KEY_READ | KEY_WRITE;

/// User flags, in the order Redis prints them.
pub const ENABLED: u8 = 1;
pub const DISABLED: u8 = 2;
pub const NOPASS: u8 = 4;
pub const SKIP_SANITIZE: u8 = 8;
pub const SANITIZE: u8 = 16;
pub const FLAG_NAMES: &[(u8, &str)] = &[
    (ENABLED, "on"),
    (DISABLED, "off"),
    (NOPASS, "nopass"),
    (SKIP_SANITIZE, "skip-sanitize-payload"),
    (SANITIZE, "sanitize-payload"),
];

/// A key pattern and what it allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPattern {
    pub flags: u8,
    pub pattern: Vec<u8>,
}

/// One set of permissions: the user's root selector, or one added with `(...)`. A command is
/// allowed when any selector allows it with all its keys and channels.
#[derive(Clone, Debug)]
pub struct Selector {
    pub root: bool,
    pub all_keys: bool,
    pub all_channels: bool,
    /// Every command, checked without the bitmap (cleared by any command removal).
    pub all_commands: bool,
    /// Redis's reserved "future commands" bit: set by `+@all` only, it makes the description
    /// start from `+@all` rather than `-@all`.
    pub future: bool,
    /// Allowed commands, one bit per command id.
    pub allowed: Vec<u64>,
    /// Allowed first arguments of otherwise denied commands (`+select|0`), per command.
    pub first_args: Vec<(CommandId, Vec<Vec<u8>>)>,
    pub patterns: Vec<KeyPattern>,
    pub channels: Vec<Vec<u8>>,
}

impl Selector {
    pub fn bit(&self, id: CommandId) -> bool {
        self.allowed
            .get(id / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }
}

/// An ACL user.
#[derive(Clone, Debug)]
pub struct User {
    pub name: Vec<u8>,
    pub flags: u8,
    /// SHA-256 hex digests, in the order they were added.
    pub passwords: Vec<String>,
    /// The root selector first, then the `(...)` ones.
    pub selectors: Vec<Selector>,
}

impl User {
    pub fn enabled(&self) -> bool {
        self.flags & DISABLED == 0
    }

    pub fn nopass(&self) -> bool {
        self.flags & NOPASS != 0
    }

    /// Whether every command, key and channel is allowed: the check can be skipped.
    pub fn unrestricted(&self) -> bool {
        let root = &self.selectors[0];
        root.all_commands && root.all_keys && root.all_channels
    }

    pub fn root(&self) -> &Selector {
        &self.selectors[0]
    }
}

/// The users and the ACL log. Empty until start-up fills it (`acl::Acl::from_config`: the
/// `default` user, then the configured ones).
#[derive(Debug, Default)]
pub struct Acl {
    /// By name; a B-tree lists them in Redis's (radix tree) order.
    pub users: BTreeMap<Vec<u8>, User>,
    pub log: super::acl_log::AclLog,
}
