//! ACL users and selectors, and the rules that change them (Redis 7.0's `ACLSetUser` and
//! `ACLSetSelector`), with the text ACL LIST / GETUSER / SAVE print for them
//! (`ACLDescribeUser`).
//!
//! Command permissions are a bitmap indexed by the registry's [`CommandId`]s (subcommands have
//! their own ids), so a check is one bit test; categories are resolved against the table when a
//! rule is applied, never when a command runs.

use crate::cmd::table::{acl as cat, registry, CommandId};
use crate::state::acl::{
    KeyPattern, Selector, User, DISABLED, ENABLED, FLAG_NAMES, KEY_ALL, KEY_READ, KEY_WRITE,
    NOPASS, SANITIZE, SKIP_SANITIZE,
};

/// Why a rule was refused; [`RuleError::message`] is Redis's `ACLSetUserStringError`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleError {
    /// EINVAL
    Syntax,
    /// ENOENT
    UnknownName,
    /// EEXIST
    KeyAfterAll,
    /// EISDIR
    ChannelAfterAll,
    /// ENODEV
    NoSuchPassword,
    /// EBADMSG
    BadHash,
    /// ECHILD
    FirstArgOfSubcommand,
}

impl RuleError {
    pub fn message(self) -> &'static str {
        match self {
            RuleError::Syntax => "Syntax error",
            RuleError::UnknownName => "Unknown command or category name in ACL",
            RuleError::KeyAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and \
                 does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::ChannelAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid \
                 and does not have any effect. Try 'resetchannels' to start with an empty list \
                 of channels"
            }
            RuleError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase \
                 hexadecimal characters"
            }
            RuleError::FirstArgOfSubcommand => {
                "Allowing first-arg of a subcommand is not supported"
            }
        }
    }
}

/// The C-string view of a rule (Redis compares rules with `strcasecmp`).
fn cstr(v: &[u8]) -> &[u8] {
    v.iter().position(|&b| b == 0).map_or(v, |i| &v[..i])
}

fn is(op: &[u8], word: &str) -> bool {
    cstr(op).eq_ignore_ascii_case(word.as_bytes())
}

/// Redis's `ACLStringHasSpaces`: whitespace or NUL.
pub fn has_spaces(s: &[u8]) -> bool {
    s.iter()
        .any(|&b| b == 0 || b == b' ' || (b'\t'..=b'\r').contains(&b))
}

/// The subcommand ids of top-level command `id` (they follow it in the registry).
pub fn subcommand_ids(id: CommandId) -> std::ops::Range<CommandId> {
    let reg = registry();
    if is_subcommand(id) {
        return id..id;
    }
    let n = reg.command(id).subcommands.len();
    id + 1..id + 1 + n
}

pub fn is_subcommand(id: CommandId) -> bool {
    registry().full_name(id).contains('|')
}

/// Redis's `ACLLookupCommand`: `name` or `name|sub`, strictly (a `|` after a command without
/// subcommands, or a second `|`, finds nothing).
pub fn lookup_command(name: &[u8]) -> Option<CommandId> {
    let reg = registry();
    let name = cstr(name);
    let mut parts = name.split(|&b| b == b'|');
    let first = parts.next()?;
    let id = reg.lookup(first)?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(id),
        (Some(sub), None) => {
            if reg.command(id).subcommands.is_empty() {
                None
            } else {
                reg.lookup_sub(id, sub)
            }
        }
        _ => None,
    }
}

impl Selector {
    /// An empty selector: no commands, keys or channels, except all channels when
    /// `acl-pubsub-default` is `allchannels`.
    pub fn new(root: bool, all_channels: bool) -> Selector {
        Selector {
            root,
            all_keys: false,
            all_channels,
            all_commands: false,
            future: false,
            allowed: vec![0; registry().all.len().div_ceil(64)],
            first_args: Vec::new(),
            patterns: Vec::new(),
            channels: Vec::new(),
        }
    }

    fn set_bit(&mut self, id: CommandId, on: bool) {
        if let Some(w) = self.allowed.get_mut(id / 64) {
            if on {
                *w |= 1 << (id % 64);
            } else {
                *w &= !(1 << (id % 64));
                self.all_commands = false;
            }
        }
    }

    fn set_all(&mut self, on: bool) {
        let fill = if on { u64::MAX } else { 0 };
        for w in &mut self.allowed {
            *w = fill;
        }
        self.all_commands = on;
        self.future = on;
        self.first_args.clear();
    }

    /// Redis's `ACLChangeSelectorPerm`: the command and all its subcommands.
    fn change_perm(&mut self, id: CommandId, allow: bool) {
        self.set_bit(id, allow);
        self.first_args.retain(|(c, _)| *c != id);
        for sub in subcommand_ids(id) {
            self.set_bit(sub, allow);
        }
    }

    /// Every command (and subcommand) in category `category`.
    fn change_category(&mut self, category: u32, allow: bool) {
        let reg = registry();
        for (id, cmd) in reg.top_level() {
            if cmd.acl_categories() & category != 0 {
                self.change_perm(id, allow);
            }
            for sub in subcommand_ids(id) {
                if reg.command(sub).acl_categories() & category != 0 {
                    self.change_perm(sub, allow);
                }
            }
        }
    }

    fn add_first_arg(&mut self, id: CommandId, arg: &[u8]) {
        let arg = cstr(arg);
        match self.first_args.iter_mut().find(|(c, _)| *c == id) {
            Some((_, args)) => {
                if !args.iter().any(|a| a.eq_ignore_ascii_case(arg)) {
                    args.push(arg.to_vec());
                }
            }
            None => self.first_args.push((id, vec![arg.to_vec()])),
        }
    }

    pub fn first_args_of(&self, id: CommandId) -> &[Vec<u8>] {
        self.first_args
            .iter()
            .find(|(c, _)| *c == id)
            .map_or(&[], |(_, a)| a.as_slice())
    }

    /// Redis's `ACLSetSelector`: applies one rule about commands, keys or channels.
    pub fn apply(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if is(op, "allkeys") || is(op, "~*") {
            self.all_keys = true;
            self.patterns.clear();
        } else if is(op, "resetkeys") {
            self.all_keys = false;
            self.patterns.clear();
        } else if is(op, "allchannels") || is(op, "&*") {
            self.all_channels = true;
            self.channels.clear();
        } else if is(op, "resetchannels") {
            self.all_channels = false;
            self.channels.clear();
        } else if is(op, "allcommands") || is(op, "+@all") {
            self.set_all(true);
        } else if is(op, "nocommands") || is(op, "-@all") {
            self.set_all(false);
        } else if op[0] == b'~' || op[0] == b'%' {
            self.add_key_pattern(op)?;
        } else if op[0] == b'&' {
            if self.all_channels {
                return Err(RuleError::ChannelAfterAll);
            }
            let pattern = &op[1..];
            if has_spaces(pattern) {
                return Err(RuleError::Syntax);
            }
            if !self.channels.iter().any(|c| c == pattern) {
                self.channels.push(pattern.to_vec());
            }
        } else if op.len() >= 2 && (op[0] == b'+' || op[0] == b'-') && op[1] == b'@' {
            let category = cat::by_name(cstr(&op[2..])).ok_or(RuleError::UnknownName)?;
            self.change_category(category, op[0] == b'+');
        } else if op[0] == b'+' {
            self.allow_command(&op[1..])?;
        } else if op[0] == b'-' {
            let id = lookup_command(&op[1..]).ok_or(RuleError::UnknownName)?;
            self.change_perm(id, false);
        } else {
            return Err(RuleError::Syntax);
        }
        Ok(())
    }

    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if self.all_keys {
            return Err(RuleError::KeyAfterAll);
        }
        let mut flags = 0;
        let mut offset = 1;
        if op[0] == b'%' {
            while offset < op.len() {
                let c = op[offset];
                if c.eq_ignore_ascii_case(&b'R') && flags & KEY_READ == 0 {
                    flags |= KEY_READ;
                } else if c.eq_ignore_ascii_case(&b'W') && flags & KEY_WRITE == 0 {
                    flags |= KEY_WRITE;
                } else if c == b'~' && flags != 0 {
                    offset += 1;
                    break;
                } else {
                    return Err(RuleError::Syntax);
                }
                offset += 1;
            }
            if flags == 0 {
                return Err(RuleError::Syntax);
            }
        } else {
            flags = KEY_ALL;
        }
        let pattern = &op[offset..];
        if has_spaces(pattern) {
            return Err(RuleError::Syntax);
        }
        match self.patterns.iter_mut().find(|p| p.pattern == pattern) {
            Some(p) => p.flags |= flags,
            None => self.patterns.push(KeyPattern {
                flags,
                pattern: pattern.to_vec(),
            }),
        }
        self.all_keys = false;
        Ok(())
    }

    /// `+command`, `+command|subcommand` or `+command|first-arg`.
    fn allow_command(&mut self, name: &[u8]) -> Result<(), RuleError> {
        let name = cstr(name);
        let Some(bar) = name.iter().rposition(|&b| b == b'|') else {
            let id = lookup_command(name).ok_or(RuleError::UnknownName)?;
            self.change_perm(id, true);
            return Ok(());
        };
        let (base, sub) = (&name[..bar], &name[bar + 1..]);
        let id = lookup_command(base).ok_or(RuleError::UnknownName)?;
        if is_subcommand(id) {
            return Err(RuleError::FirstArgOfSubcommand);
        }
        if sub.is_empty() {
            return Err(RuleError::Syntax);
        }
        if registry().command(id).subcommands.is_empty() {
            log::warn!(
                "Deprecation warning: Allowing a first arg of an otherwise blocked command is a \
                 misuse of ACL and may get disabled in the future (offender: +{})",
                String::from_utf8_lossy(name)
            );
            self.add_first_arg(id, sub);
        } else {
            let id = lookup_command(name).ok_or(RuleError::UnknownName)?;
            self.change_perm(id, true);
        }
        Ok(())
    }

    /// Commands and subcommands of `category` allowed and denied.
    fn count_category(&self, category: u32) -> (usize, usize) {
        let reg = registry();
        let (mut on, mut off) = (0, 0);
        for (id, (_, cmd)) in reg.all.iter().enumerate() {
            if cmd.acl_categories() & category != 0 {
                if self.bit(id) {
                    on += 1;
                } else {
                    off += 1;
                }
            }
        }
        (on, off)
    }

    /// Redis's `ACLDescribeSelectorCommandRules`: `+@all` or `-@all`, then the categories that
    /// fit best, then single commands until the bitmap is exactly rebuilt. Redis lists the
    /// single commands in its command dict's (hash) order; ferrodis uses table order.
    pub fn describe_commands(&self) -> String {
        let mut rules = String::new();
        let additive = !self.future;
        let mut fake = Selector::new(false, false);
        if additive {
            rules.push_str("-@all ");
            fake.set_all(false);
        } else {
            rules.push_str("+@all ");
            fake.set_all(true);
        }
        let mut temp = self.clone();
        let mut applied = [false; 64];
        loop {
            let mut best = None;
            let (mut min_diff, mut max_same) = (usize::MAX, 0usize);
            for (j, &(bit, _)) in cat::NAMES.iter().enumerate() {
                if applied[j] {
                    continue;
                }
                let (on, off) = temp.count_category(bit);
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < min_diff || (diff == min_diff && same > max_same)) {
                    best = Some(j);
                    min_diff = diff;
                    max_same = same;
                }
            }
            let Some(j) = best else { break };
            let (bit, name) = cat::NAMES[j];
            fake.change_category(bit, additive);
            temp.change_category(bit, !additive);
            rules.push(if additive { '+' } else { '-' });
            rules.push('@');
            rules.push_str(name);
            rules.push(' ');
            applied[j] = true;
        }
        let reg = registry();
        for (id, _) in reg.top_level() {
            let user_bit = self.bit(id);
            if user_bit != fake.bit(id) {
                rules.push(if user_bit { '+' } else { '-' });
                rules.push_str(reg.full_name(id));
                rules.push(' ');
                fake.change_perm(id, user_bit);
            }
            for sub in subcommand_ids(id) {
                let user_bit = self.bit(sub);
                if user_bit != fake.bit(sub) {
                    rules.push(if user_bit { '+' } else { '-' });
                    rules.push_str(reg.full_name(sub));
                    rules.push(' ');
                    fake.change_perm(sub, user_bit);
                }
            }
            if !user_bit {
                for arg in self.first_args_of(id) {
                    rules.push('+');
                    rules.push_str(reg.full_name(id));
                    rules.push('|');
                    rules.push_str(&String::from_utf8_lossy(arg));
                    rules.push(' ');
                }
            }
        }
        rules.pop();
        rules
    }

    /// The key patterns as GETUSER shows them (`~*`, or the patterns joined by spaces).
    pub fn describe_keys(&self) -> Vec<u8> {
        if self.all_keys {
            return b"~*".to_vec();
        }
        space_separated(&self.patterns, push_pattern)
    }

    /// The channel patterns as GETUSER shows them.
    pub fn describe_channels(&self) -> Vec<u8> {
        if self.all_channels {
            return b"&*".to_vec();
        }
        space_separated(&self.channels, |out, channel| {
            out.push(b'&');
            out.extend_from_slice(channel);
        })
    }

    /// Redis's `ACLDescribeSelector`: keys, channels, then command rules.
    pub fn describe(&self, out: &mut Vec<u8>) {
        if self.all_keys {
            out.extend_from_slice(b"~* ");
        } else {
            for p in &self.patterns {
                push_pattern(out, p);
                out.push(b' ');
            }
        }
        if self.all_channels {
            out.extend_from_slice(b"&* ");
        } else {
            out.extend_from_slice(b"resetchannels ");
            for c in &self.channels {
                out.push(b'&');
                out.extend_from_slice(c);
                out.push(b' ');
            }
        }
        out.extend_from_slice(self.describe_commands().as_bytes());
    }
}

/// `items` written by `write`, with one space between them.
fn space_separated<T>(items: &[T], write: impl Fn(&mut Vec<u8>, &T)) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        write(&mut out, item);
    }
    out
}

fn push_pattern(out: &mut Vec<u8>, p: &KeyPattern) {
    out.extend_from_slice(match p.flags {
        KEY_READ => b"%R~".as_slice(),
        KEY_WRITE => b"%W~".as_slice(),
        _ => b"~".as_slice(),
    });
    out.extend_from_slice(&p.pattern);
}

/// The SHA-256 hex digest a password rule names: hashed from the clear text after `>` / `<`,
/// or given after `#` / `!` (64 lowercase hex digits, else `BadHash`).
fn password_hash(op: &[u8]) -> Result<String, RuleError> {
    let rest = &op[1..];
    if matches!(op[0], b'>' | b'<') {
        return Ok(super::sha256::hex_digest(rest));
    }
    if !valid_hash(rest) {
        return Err(RuleError::BadHash);
    }
    Ok(String::from_utf8_lossy(rest).into_owned())
}

/// Whether `hash` is 64 lowercase hex digits (Redis's `ACLCheckPasswordHash`).
fn valid_hash(hash: &[u8]) -> bool {
    hash.len() == 64
        && hash
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

impl User {
    /// A new user as ACL SETUSER creates it: off, no passwords, no permissions.
    pub fn new(name: &[u8], all_channels: bool) -> User {
        User {
            name: name.to_vec(),
            flags: DISABLED,
            passwords: Vec::new(),
            selectors: vec![Selector::new(true, all_channels)],
        }
    }

    /// The `default` user as Redis creates it: on, nopass, every command, key and channel.
    pub fn new_default() -> User {
        let mut u = User::new(b"default", false);
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            // These rules are valid by construction.
            let _ = u.apply(op.as_bytes(), false);
        }
        u
    }

    /// Redis's `ACLSetUser`: applies one rule. `all_channels` is `acl-pubsub-default`
    /// (for new selectors and `reset`).
    pub fn apply(&mut self, op: &[u8], all_channels: bool) -> Result<(), RuleError> {
        if op.is_empty() {
            return Ok(());
        }
        if is(op, "on") {
            self.flags = (self.flags | ENABLED) & !DISABLED;
        } else if is(op, "off") {
            self.flags = (self.flags | DISABLED) & !ENABLED;
        } else if is(op, "skip-sanitize-payload") {
            self.flags = (self.flags | SKIP_SANITIZE) & !SANITIZE;
        } else if is(op, "sanitize-payload") {
            self.flags = (self.flags | SANITIZE) & !SKIP_SANITIZE;
        } else if is(op, "nopass") {
            self.flags |= NOPASS;
            self.passwords.clear();
        } else if is(op, "resetpass") {
            self.flags &= !NOPASS;
            self.passwords.clear();
        } else if op[0] == b'>' || op[0] == b'#' {
            let hash = password_hash(op)?;
            if !self.passwords.contains(&hash) {
                self.passwords.push(hash);
            }
            self.flags &= !NOPASS;
        } else if op[0] == b'<' || op[0] == b'!' {
            let hash = password_hash(op)?;
            let pos = self
                .passwords
                .iter()
                .position(|p| *p == hash)
                .ok_or(RuleError::NoSuchPassword)?;
            self.passwords.remove(pos);
        } else if op[0] == b'(' && op[op.len() - 1] == b')' {
            let mut selector = Selector::new(false, all_channels);
            let inner = &op[1..op.len() - 1];
            // Unbalanced quotes leave the selector empty, as Redis's failed split does.
            for rule in split_args(inner).unwrap_or_default() {
                if !rule.is_empty() {
                    selector.apply(&rule)?;
                }
            }
            self.selectors.push(selector);
        } else if is(op, "clearselectors") {
            self.selectors.truncate(1);
        } else if is(op, "reset") {
            self.flags &= !NOPASS;
            self.passwords.clear();
            let root = &mut self.selectors[0];
            root.all_keys = false;
            root.patterns.clear();
            root.all_channels = all_channels;
            root.channels.clear();
            self.flags = (self.flags | DISABLED | SANITIZE) & !(ENABLED | SKIP_SANITIZE);
            self.selectors.truncate(1);
            self.selectors[0].set_all(false);
        } else {
            self.selectors[0].apply(op)?;
        }
        Ok(())
    }

    /// Redis's `ACLDescribeUser`: flags, password hashes, the root selector, then the others
    /// in parentheses (ACL LIST and the ACL file, after `user <name> `).
    pub fn describe(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for &(flag, name) in FLAG_NAMES {
            if self.flags & flag != 0 {
                out.extend_from_slice(name.as_bytes());
                out.push(b' ');
            }
        }
        for p in &self.passwords {
            out.push(b'#');
            out.extend_from_slice(p.as_bytes());
            out.push(b' ');
        }
        for s in &self.selectors {
            if s.root {
                s.describe(&mut out);
            } else {
                out.extend_from_slice(b" (");
                s.describe(&mut out);
                out.push(b')');
            }
        }
        out
    }

    /// The flag names GETUSER lists.
    pub fn flag_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        FLAG_NAMES
            .iter()
            .filter(|(f, _)| self.flags & f != 0)
            .map(|(_, n)| *n)
    }
}

/// Redis's `sdssplitargs`: words separated by whitespace, `"..."` with backslash escapes
/// (`\xHH`, `\n`, `\r`, `\t`, `\b`, `\a`) and `'...'` with `\'`; a closing quote must be
/// followed by whitespace or the end. `None` on unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = line.len();
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    loop {
        while i < n && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n {
            return Some(out);
        }
        let mut cur = Vec::new();
        let (mut in_dq, mut in_sq) = (false, false);
        loop {
            if in_dq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\'
                    && i + 3 < n
                    && line[i + 1] == b'x'
                    && hex(line[i + 2]).is_some()
                    && hex(line[i + 3]).is_some()
                {
                    cur.push(hex(line[i + 2]).unwrap_or(0) * 16 + hex(line[i + 3]).unwrap_or(0));
                    i += 3;
                } else if line[i] == b'\\' && i + 1 < n {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        c => c,
                    });
                } else if line[i] == b'"' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(line[i]);
                }
            } else if in_sq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if line[i] == b'\'' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(line[i]);
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        i += 1;
                        break;
                    }
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    c => cur.push(c),
                }
            }
            i += 1;
        }
        out.push(cur);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(rules: &[&str]) -> User {
        let mut u = User::new(b"u", false);
        for r in rules {
            u.apply(r.as_bytes(), false).unwrap();
        }
        u
    }

    fn text(u: &User) -> String {
        String::from_utf8(u.describe()).unwrap()
    }

    #[test]
    fn subcommands_follow_their_parent_in_the_registry() {
        let reg = registry();
        for (id, cmd) in reg.top_level() {
            for (i, sub) in subcommand_ids(id).enumerate() {
                assert_eq!(
                    reg.full_name(sub),
                    format!("{}|{}", cmd.name, cmd.subcommands[i].name)
                );
            }
        }
    }

    #[test]
    fn describes_as_redis_does() {
        assert_eq!(text(&User::new_default()), "on nopass ~* &* +@all");
        assert_eq!(text(&user(&[])), "off resetchannels -@all");
        assert_eq!(
            text(&user(&[
                "on", ">p1", "~k*", "%R~r*", "&ch*", "+@all", "-get"
            ])),
            "on #f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a ~k* %R~r* \
             resetchannels &ch* +@all -get"
        );
        assert_eq!(
            text(&user(&["+select|0", "(+set ~s*)", "%RW~x", "%R~y", "%W~y"])),
            "off ~x ~y resetchannels -@all +select|0 (~s* resetchannels -@all +set)"
        );
        assert_eq!(
            text(&user(&["reset"])),
            "off sanitize-payload resetchannels -@all"
        );
        assert_eq!(text(&user(&["%R"])), "off %R~ resetchannels -@all");
    }

    #[test]
    fn refuses_bad_rules() {
        let mut u = User::new(b"u", false);
        for (rule, err) in [
            ("bogus", RuleError::Syntax),
            ("+nosuch", RuleError::UnknownName),
            ("+client|", RuleError::Syntax),
            ("+config|get|x", RuleError::FirstArgOfSubcommand),
            ("+config|nosuch", RuleError::UnknownName),
            ("-select|0", RuleError::UnknownName),
            ("%", RuleError::Syntax),
            ("%~x", RuleError::Syntax),
            ("%RR~q", RuleError::Syntax),
            ("+@nosuch", RuleError::UnknownName),
            ("#abc", RuleError::BadHash),
            ("<nosuch", RuleError::NoSuchPassword),
            ("~a b", RuleError::Syntax),
        ] {
            assert_eq!(u.apply(rule.as_bytes(), false), Err(err), "{rule}");
        }
        u.apply(b"~*", false).unwrap();
        assert_eq!(u.apply(b"~a", false), Err(RuleError::KeyAfterAll));
        u.apply(b"&*", false).unwrap();
        assert_eq!(u.apply(b"&a", false), Err(RuleError::ChannelAfterAll));
    }

    #[test]
    fn splits_like_sdssplitargs() {
        assert_eq!(
            split_args(br#"a "b c" 'd\'e' "\x41\n""#).unwrap(),
            vec![
                b"a".to_vec(),
                b"b c".to_vec(),
                b"d'e".to_vec(),
                b"A\n".to_vec()
            ]
        );
        assert!(split_args(b"\"open").is_none());
        assert!(split_args(b"\"a\"b").is_none());
    }
}
