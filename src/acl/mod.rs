//! Access control lists, as Redis 7.0's `acl.c`: the rules that build users and their
//! selectors ([`user`]), the permission check the dispatcher runs before a command
//! ([`Acl::check`]) and the ACL file ([`file`]).
//!
//! The users and the ACL log are data in `state` (`state::acl`, `state::acl_log`, held in
//! `Server::acl`); this module compiles rules against the static command table (ids,
//! categories, key specs), so it sits beside `cmd`, above `state`, and never touches clients
//! or sockets. Each client caches whether its user may run everything
//! (`Client::acl_unrestricted`), so the default user costs the dispatcher one branch.

pub mod file;
pub mod sha256;
pub mod user;

use crate::cmd::introspect::{command_keys, FoundKey};
use crate::cmd::table::{flags, key_flags, registry, CommandId};
use crate::state::acl::{Acl, Selector, User, KEY_READ, KEY_WRITE};
use crate::util::glob::glob_match;

/// Why a command was denied, with the argument at fault (Redis's `ACL_DENIED_*` and
/// `acl_errpos`). The order is Redis's: a key or channel denial wins over a command one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Denied {
    Command,
    Key(usize),
    Channel(usize),
}

impl Denied {
    fn rank(self) -> (u8, usize) {
        match self {
            Denied::Command => (1, 0),
            Denied::Key(i) => (2, i),
            Denied::Channel(i) => (4, i),
        }
    }

    /// The `-NOPERM …` error text of a denied command (Redis 7.0.15).
    pub fn noperm(self, full_name: &str) -> String {
        match self {
            Denied::Command => {
                format!("NOPERM this user has no permissions to run the '{full_name}' command")
            }
            Denied::Key(_) => "NOPERM this user has no permissions to access one of the keys \
                               used as arguments"
                .to_string(),
            Denied::Channel(_) => "NOPERM this user has no permissions to access one of the \
                                   channels used as arguments"
                .to_string(),
        }
    }
}

/// How a command names pub/sub channels, for the channel check.
enum Channels {
    None,
    /// PUBLISH, SPUBLISH: argument 1.
    First,
    /// SUBSCRIBE, SSUBSCRIBE: every argument, matched against the patterns.
    All,
    /// PSUBSCRIBE: every argument, compared literally with the patterns.
    AllLiteral,
}

fn channels_of(id: CommandId) -> Channels {
    match registry().full_name(id) {
        "publish" | "spublish" => Channels::First,
        "subscribe" | "ssubscribe" => Channels::All,
        "psubscribe" => Channels::AllLiteral,
        _ => Channels::None,
    }
}

/// Whether `channel` is allowed by `patterns` (Redis's `ACLCheckChannelAgainstList`):
/// a pattern subscription must equal an allowed pattern; a channel must match one.
pub fn channel_allowed(patterns: &[Vec<u8>], channel: &[u8], literal: bool) -> bool {
    patterns.iter().any(|p| {
        if literal {
            p == channel
        } else {
            glob_match(p, channel, false)
        }
    })
}

/// Redis's `ACLSelectorCheckKey`.
fn key_allowed(sel: &Selector, key: &[u8], spec_flags: u32) -> bool {
    if sel.all_keys {
        return true;
    }
    let mut need = 0;
    if spec_flags & key_flags::ACCESS != 0 {
        need |= KEY_READ;
    }
    if spec_flags & (key_flags::INSERT | key_flags::DELETE | key_flags::UPDATE) != 0 {
        need |= KEY_WRITE;
    }
    sel.patterns
        .iter()
        .any(|p| p.flags & need == need && glob_match(&p.pattern, key, false))
}

/// Redis's `ACLSelectorCheckCmd`. `keys` caches the command's keys across selectors.
fn selector_check(
    sel: &Selector,
    id: CommandId,
    argv: &[&[u8]],
    keys: &mut Option<Vec<FoundKey>>,
) -> Result<(), Denied> {
    let cmd = registry().command(id);
    if !sel.all_commands && !cmd.has(flags::NO_AUTH) && !sel.bit(id) {
        let idx = if user::is_subcommand(id) { 2 } else { 1 };
        let first = argv.get(idx).copied();
        let ok = argv.len() >= 2
            && first.is_some_and(|a| {
                let a = a.iter().position(|&b| b == 0).map_or(a, |i| &a[..i]);
                sel.first_args_of(id)
                    .iter()
                    .any(|f| f.eq_ignore_ascii_case(a))
            });
        if !ok {
            return Err(Denied::Command);
        }
    }
    if !sel.all_keys && cmd.has_keys() {
        let keys = keys.get_or_insert_with(|| command_keys(cmd, argv));
        for k in keys.iter() {
            if !key_allowed(sel, argv[k.pos], k.flags) {
                return Err(Denied::Key(k.pos));
            }
        }
    }
    if !sel.all_channels {
        let (range, literal) = match channels_of(id) {
            Channels::None => return Ok(()),
            Channels::First => (1..2.min(argv.len()), false),
            Channels::All => (1..argv.len(), false),
            Channels::AllLiteral => (1..argv.len(), true),
        };
        for j in range {
            if !channel_allowed(&sel.channels, argv[j], literal) {
                return Err(Denied::Channel(j));
            }
        }
    }
    Ok(())
}

/// Redis's `ACLCheckAllUserCommandPerm`: allowed when one selector allows the call; else the
/// most relevant denial (a channel over a key over the command; the later argument on a tie).
pub fn user_check(u: &User, id: CommandId, argv: &[&[u8]]) -> Result<(), Denied> {
    let mut worst = Denied::Command;
    let mut keys = None;
    for sel in &u.selectors {
        match selector_check(sel, id, argv, &mut keys) {
            Ok(()) => return Ok(()),
            Err(d) => {
                if d.rank() > worst.rank() {
                    worst = d;
                }
            }
        }
    }
    Err(worst)
}

impl Acl {
    /// The users at start-up, as Redis's `ACLLoadUsersAtStartup`: the default user with
    /// `requirepass`, then the configuration's `user` entries, or the `aclfile`.
    pub fn from_config(config: &crate::config::Config) -> Result<Acl, String> {
        let mut acl = Acl::default();
        acl.users.insert(b"default".to_vec(), User::new_default());
        acl.set_default_password(config.requirepass.as_bytes());
        if !config.aclfile.is_empty() && !config.users.is_empty() {
            return Err(
                "Configuring Redis with users defined in redis.conf and at the same \
                        setting an ACL file path is invalid. This setup is very likely to lead \
                        to configuration errors and security holes, please define either an \
                        ACL file or declare users directly in your redis.conf, but not both."
                    .to_string(),
            );
        }
        let all_channels = config.acl_pubsub_all;
        let mut seen: Vec<Vec<u8>> = Vec::new();
        for line in &config.users {
            let argv = user::split_args(line.as_bytes())
                .ok_or_else(|| format!("user '{line}': unbalanced quotes"))?;
            let Some((name, rules)) = argv.split_first() else {
                return Err("user: a user needs a name".to_string());
            };
            let shown = String::from_utf8_lossy(name);
            if user::has_spaces(name) {
                return Err("Spaces not allowed in ACL usernames".to_string());
            }
            if seen.contains(name) {
                return Err(format!(
                    "user '{shown}': Duplicate user found. A user can only be defined once in \
                     config files"
                ));
            }
            seen.push(name.clone());
            let rules: Vec<&[u8]> = rules.iter().map(Vec::as_slice).collect();
            let merged = file::merge_selector_args(&rules).map_err(|i| {
                format!(
                    "user '{shown}': Unmatched parenthesis in acl selector starting at '{}'.",
                    String::from_utf8_lossy(rules[i])
                )
            })?;
            let existed = acl.users.contains_key(name);
            let u = acl
                .users
                .entry(name.clone())
                .or_insert_with(|| User::new(name, all_channels));
            if existed {
                // Only `default` can already exist: it is redefined from scratch.
                let _ = u.apply(b"reset", all_channels);
            }
            for rule in &merged {
                u.apply(rule, all_channels).map_err(|e| {
                    format!(
                        "Error loading ACL rule '{}' for the user named '{shown}': {}",
                        String::from_utf8_lossy(rule),
                        e.message()
                    )
                })?;
            }
            if !u.enabled() {
                ::log::info!(
                    "The user '{shown}' is disabled (there is no 'on' modifier in the user \
                     description). Make sure this is not a configuration error."
                );
            }
        }
        if !config.aclfile.is_empty() {
            acl.users = file::load(&config.aclfile, all_channels)
                .map_err(|e| format!("Aborting Redis startup because of ACL errors: {e}"))?;
        }
        Ok(acl)
    }

    pub fn default_user(&self) -> Option<&User> {
        self.users.get(b"default".as_slice())
    }

    /// Redis's `authRequired` test on the default user: a new or reset connection is
    /// authenticated at once when the default user is enabled and has `nopass`.
    pub fn default_open(&self) -> bool {
        self.default_user()
            .is_some_and(|u| u.nopass() && u.enabled())
    }

    /// Whether `name` may run everything (the client's cached flag).
    pub fn unrestricted(&self, name: &[u8]) -> bool {
        self.users.get(name).is_some_and(User::unrestricted)
    }

    /// `requirepass`: the default user's only password, or `nopass` when empty (Redis's
    /// `ACLUpdateDefaultUserPassword`).
    pub fn set_default_password(&mut self, password: &[u8]) {
        if let Some(u) = self.users.get_mut(b"default".as_slice()) {
            let _ = u.apply(b"resetpass", false);
            if password.is_empty() {
                let _ = u.apply(b"nopass", false);
            } else {
                let mut op = Vec::with_capacity(password.len() + 1);
                op.push(b'>');
                op.extend_from_slice(password);
                let _ = u.apply(&op, false);
            }
        }
    }

    /// Redis's `ACLCheckUserCredentials`: the user exists, is enabled, and has `nopass` or a
    /// password whose hash matches (compared in time independent of where they differ).
    pub fn credentials_ok(&self, name: &[u8], password: &[u8]) -> bool {
        let hash = sha256::hex_digest(password);
        let Some(u) = self.users.get(name) else {
            return false;
        };
        if !u.enabled() {
            return false;
        }
        if u.nopass() {
            return true;
        }
        let mut ok = false;
        for p in &u.passwords {
            ok |= constant_time_eq(p.as_bytes(), hash.as_bytes());
        }
        ok
    }

    /// Checks a call of command `id` (`argv` includes the name) by user `name`. A user that no
    /// longer exists may run nothing.
    pub fn check(&self, name: &[u8], id: CommandId, argv: &[&[u8]]) -> Result<(), Denied> {
        match self.users.get(name) {
            Some(u) => user_check(u, id, argv),
            None => Err(Denied::Command),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = (a.len() != b.len()) as u8;
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0);
    }
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(rules: &[&str], argv: &[&str]) -> Result<(), Denied> {
        let mut u = User::new(b"u", false);
        for r in rules {
            u.apply(r.as_bytes(), false).unwrap();
        }
        let argv: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
        let reg = registry();
        let mut id = reg.lookup(argv[0]).unwrap();
        if !reg.command(id).subcommands.is_empty() {
            id = reg.lookup_sub(id, argv[1]).unwrap();
        }
        user_check(&u, id, &argv)
    }

    #[test]
    fn commands_keys_and_channels() {
        let r = &[
            "~a*",
            "%R~r*",
            "&ch",
            "+get",
            "+set",
            "+publish",
            "+psubscribe",
            "+select|0",
        ];
        assert_eq!(check(r, &["get", "a1"]), Ok(()));
        assert_eq!(check(r, &["get", "b1"]), Err(Denied::Key(1)));
        assert_eq!(check(r, &["get", "r1"]), Ok(()));
        assert_eq!(check(r, &["set", "r1", "v"]), Err(Denied::Key(1)));
        assert_eq!(check(r, &["del", "a1"]), Err(Denied::Command));
        assert_eq!(check(r, &["publish", "ch", "m"]), Ok(()));
        assert_eq!(check(r, &["publish", "cx", "m"]), Err(Denied::Channel(1)));
        assert_eq!(check(r, &["psubscribe", "ch"]), Ok(()));
        assert_eq!(check(r, &["psubscribe", "ch*"]), Err(Denied::Channel(1)));
        assert_eq!(check(r, &["select", "0"]), Ok(()));
        assert_eq!(check(r, &["select", "1"]), Err(Denied::Command));
        // NO_AUTH commands are always allowed.
        assert_eq!(check(r, &["auth", "x"]), Ok(()));
        // A second selector may allow what the root denies.
        assert_eq!(check(&["+get", "(+del ~b*)"], &["del", "b"]), Ok(()));
        assert_eq!(
            check(&["+get", "(+del ~b*)"], &["get", "b"]),
            Err(Denied::Key(1))
        );
    }
}
