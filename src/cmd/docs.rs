//! `docs/commands.md`, generated from the command table so the two cannot drift apart.
//!
//! `make docs` rewrites the file; a test fails when the committed file differs from what the
//! table says.

use super::argspec;
use super::table::{flags, registry, Command, CommandId};

fn flag_names(cmd: &Command) -> String {
    flags::NAMES
        .iter()
        .filter(|(bit, _)| cmd.info_flags() & bit != 0)
        .map(|(_, name)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn arity_text(arity: i32) -> String {
    if arity < 0 {
        format!("≥ {}", -arity)
    } else {
        arity.to_string()
    }
}

/// `SET key value [NX|XX] …` as a table cell: a code span, `|` escaped for the table.
fn syntax_cell(name: &str, id: CommandId) -> String {
    let args = argspec::syntax(registry().args(id));
    let line = if args.is_empty() {
        name.to_string()
    } else {
        format!("{name} {args}")
    };
    format!("`{}`", line.replace('|', "\\|"))
}

/// The Markdown text of `docs/commands.md`.
pub fn commands_markdown() -> String {
    let reg = registry();
    let mut out = String::new();
    out.push_str("# Commands\n\n");
    out.push_str(
        "Generated from the command table (`src/cmd/table.rs` and the family files) by \
         `make docs`; a test keeps this file in step with the code. Behaviour, replies and \
         errors follow Redis 7.0. Arity counts the command name, as Redis does; the syntax is what redis-cli shows as \
         its hint, from the arguments COMMAND DOCS reports.\n",
    );
    let mut groups: Vec<&str> = Vec::new();
    for (_, cmd) in reg.top_level() {
        if !groups.contains(&cmd.group.name()) {
            groups.push(cmd.group.name());
        }
    }
    for group in groups {
        out.push_str(&format!("\n## {group}\n\n"));
        out.push_str("| syntax | arity | flags | ACL categories | summary |\n");
        out.push_str("| --- | --- | --- | --- | --- |\n");
        let mut cmds: Vec<(String, CommandId, &Command)> = Vec::new();
        for (id, cmd) in reg.top_level() {
            if cmd.group.name() != group {
                continue;
            }
            cmds.push((reg.full_name(id).to_uppercase(), id, cmd));
            for sub in cmd.subcommands {
                if let Some(sid) = reg.lookup_sub(id, sub.name.as_bytes()) {
                    let name = format!("{} {}", cmd.name, sub.name).to_uppercase();
                    cmds.push((name, sid, sub));
                }
            }
        }
        cmds.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, id, cmd) in cmds {
            let cats: Vec<String> = super::introspect::categories(cmd)
                .map(|c| format!("@{c}"))
                .collect();
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                syntax_cell(&name, id),
                arity_text(cmd.arity),
                flag_names(cmd),
                cats.join(" "),
                cmd.summary.replace('|', "\\|")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_md_matches_the_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/commands.md");
        let expected = commands_markdown();
        if std::env::var_os("FERRODIS_REGEN_DOCS").is_some() {
            std::fs::write(path, &expected).expect("write docs/commands.md");
            return;
        }
        let actual = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            actual == expected,
            "docs/commands.md is out of date with the command table: run `make docs`"
        );
    }
}
