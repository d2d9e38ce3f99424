//! The ACL file (`aclfile`): one `user <name> <rules…>` line per user, as ACL SAVE writes it
//! and ACL LOAD (and start-up) reads it. Loading is all or nothing, as Redis's
//! `ACLLoadFromFile`: any error leaves the current users untouched.

use std::collections::BTreeMap;
use std::io::Write as _;

use super::user::has_spaces;
use crate::state::acl::User;

/// Redis's `ACLMergeSelectorArguments`: joins a selector spread over several arguments
/// (`(+get` `~a)` → `(+get ~a)`). `Err(index)` names the argument that opened an unmatched
/// parenthesis.
pub fn merge_selector_args(args: &[&[u8]]) -> Result<Vec<Vec<u8>>, usize> {
    let mut out = Vec::with_capacity(args.len());
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (j, &op) in args.iter().enumerate() {
        // A new opening parenthesis starts over, dropping an unfinished selector, as in Redis.
        if op.first() == Some(&b'(') && op.last() != Some(&b')') {
            open = Some((j, op.to_vec()));
            continue;
        }
        if let Some((start, mut sel)) = open.take() {
            sel.push(b' ');
            sel.extend_from_slice(op);
            if op.last() == Some(&b')') {
                out.push(sel);
            } else {
                open = Some((start, sel));
            }
            continue;
        }
        out.push(op.to_vec());
    }
    match open {
        Some((start, _)) => Err(start),
        None => Ok(out),
    }
}

fn trim<'a>(mut s: &'a [u8], set: &[u8]) -> &'a [u8] {
    while let [first, rest @ ..] = s {
        if !set.contains(first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !set.contains(last) {
            break;
        }
        s = rest;
    }
    s
}

/// Reads `path` into a new set of users (always including `default`), or Redis's one-line
/// description of every problem found. `all_channels` is `acl-pubsub-default`.
pub fn load(path: &str, all_channels: bool) -> Result<BTreeMap<Vec<u8>, User>, String> {
    let text = std::fs::read(path).map_err(|e| {
        format!(
            "Error loading ACLs, opening file '{path}': {}",
            crate::config::strerror(&e)
        )
    })?;
    let mut users: BTreeMap<Vec<u8>, User> = BTreeMap::new();
    let mut errors = String::new();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        let linenum = i + 1;
        let line = trim(line, b" \t\r\n");
        if line.is_empty() {
            continue;
        }
        let argv: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        if argv[0] != b"user" || argv.len() < 2 {
            errors.push_str(&format!(
                "{path}:{linenum} should start with user keyword followed by the username. "
            ));
            continue;
        }
        let name = argv[1];
        let shown = String::from_utf8_lossy(name);
        if has_spaces(name) {
            errors.push_str(&format!(
                "'{path}:{linenum}: username '{shown}' contains invalid characters. "
            ));
            continue;
        }
        if users.contains_key(name) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{shown}' found on line {linenum}. "
            ));
            continue;
        }
        let mut u = User::new(name, all_channels);
        let Ok(rules) = merge_selector_args(&argv[2..]) else {
            errors.push_str(&format!(
                "{path}:{linenum}: Unmatched parenthesis in selector definition."
            ));
            users.insert(name.to_vec(), u);
            continue;
        };
        for rule in &rules {
            if let Err(e) = u.apply(trim(rule, b"\t\r\n"), all_channels) {
                errors.push_str(&format!("{path}:{linenum}: {}. ", e.message()));
            }
        }
        users.insert(name.to_vec(), u);
    }
    if !errors.is_empty() {
        errors.push_str(
            "WARNING: ACL errors detected, no change to the previously active ACL rules was \
             performed",
        );
        return Err(errors);
    }
    users
        .entry(b"default".to_vec())
        .or_insert_with(User::new_default);
    Ok(users)
}

/// The ACL file text for `users` (ACL LIST's lines).
pub fn render<'a>(users: impl Iterator<Item = &'a User>) -> Vec<u8> {
    let mut out = Vec::new();
    for u in users {
        out.extend_from_slice(b"user ");
        out.extend_from_slice(&u.name);
        out.push(b' ');
        out.extend_from_slice(&u.describe());
        out.push(b'\n');
    }
    out
}

/// Writes `text` to `path` through a temporary file renamed over it, as Redis's
/// `ACLSaveToFile`; a failure is logged (Redis's wording) and returned.
pub fn save(path: &str, text: &[u8]) -> Result<(), String> {
    let tmp = format!(
        "{path}.tmp-{}-{}",
        std::process::id(),
        crate::state::unix_ms()
    );
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| format!("Opening temp ACL file for ACL SAVE: {e}"))?;
        f.write_all(text)
            .map_err(|e| format!("Writing ACL file for ACL SAVE: {e}"))?;
        drop(f);
        std::fs::rename(&tmp, path).map_err(|e| format!("Renaming ACL file for ACL SAVE: {e}"))
    })();
    if let Err(msg) = result {
        log::warn!("{msg}");
        let _ = std::fs::remove_file(&tmp);
        return Err(msg);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_selectors_spread_over_arguments() {
        let args: Vec<&[u8]> = vec![b"on", b"(+get", b"~x)", b"(", b")", b"()"];
        assert_eq!(
            merge_selector_args(&args).unwrap(),
            vec![
                b"on".to_vec(),
                b"(+get ~x)".to_vec(),
                b"( )".to_vec(),
                b"()".to_vec()
            ]
        );
        let bad: Vec<&[u8]> = vec![b"(+get", b"~x)", b"(+set"];
        assert_eq!(merge_selector_args(&bad), Err(2));
    }
}
