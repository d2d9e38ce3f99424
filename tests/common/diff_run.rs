//! The runner of the differential tests (`differential`, `differential_resp3`): sends each
//! generated command to ferrodis and to `redis-server`, compares the replies, and reports the
//! mismatches. Included with `#[path = "common/diff_run.rs"] mod diff_run;` next to
//! `mod common;` and `mod diff_gen;`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::thread;

use crate::common::{decode, encode_owned, show, show_short, Raw, Resp, Server};
use crate::diff_gen::{in_multi_after, known_difference, Check, Cmd, Gen, Spec, SPECS};

// ---------------------------------------------------------------------------------------------
// Runner
// ---------------------------------------------------------------------------------------------

fn show_cmd(args: &[Vec<u8>]) -> String {
    args.iter()
        .map(|a| format!("\"{}\"", show_short(a, 80)))
        .collect::<Vec<_>>()
        .join(" ")
}

struct Mismatch {
    command: String,
    text: String,
}

struct Runner {
    seed: u64,
    /// Protocol of both connections (2, or 3 after `HELLO 3`).
    resp: u8,
    f: Raw,
    r: Raw,
    history: VecDeque<String>,
    mismatches: Vec<Mismatch>,
    keep_going: bool,
    /// Per command name: (commands, error replies from redis), to judge the generators.
    stats: BTreeMap<String, (usize, usize)>,
}

impl Runner {
    fn request(c: &mut Raw, args: &[Vec<u8>]) -> Result<Vec<u8>, String> {
        c.try_write(&encode_owned(args))
            .map_err(|e| format!("<write failed: {e}>"))?;
        c.try_read_reply().map_err(|e| format!("<no reply: {e}>"))
    }

    fn both(&mut self, args: &[Vec<u8>]) -> (Result<Vec<u8>, String>, Result<Vec<u8>, String>) {
        let f = Runner::request(&mut self.f, args);
        let r = Runner::request(&mut self.r, args);
        (f, r)
    }

    fn note(&mut self, idx: usize, args: &[Vec<u8>], reply: &str) {
        let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
        let entry = self.stats.entry(name).or_default();
        entry.0 += 1;
        if reply.starts_with("\"-") {
            entry.1 += 1;
        }
        if self.history.len() == 20 {
            self.history.pop_front();
        }
        self.history
            .push_back(format!("  #{idx}: {} -> {reply}", show_cmd(args)));
    }

    fn mismatch(&mut self, idx: usize, cmd: &Cmd, what: &str, f: &str, r: &str) {
        let history: Vec<String> = self.history.iter().cloned().collect();
        let text = format!(
            "DIFFERENCE RESP{} seed={} index={idx} ({what})\n  command:  {}\n  ferrodis: {f}\n  \
             redis:    {r}\n  rerun: DIFF_SEED={} cargo test --release --test {}\n  \
             preceding commands (with redis's replies):\n{}",
            self.resp,
            self.seed,
            show_cmd(&cmd.args),
            self.seed,
            if self.resp == 3 {
                "differential_resp3"
            } else {
                "differential"
            },
            history.join("\n")
        );
        if !self.keep_going {
            panic!("{text}");
        }
        let command = String::from_utf8_lossy(&cmd.args[0]).to_ascii_lowercase();
        self.mismatches.push(Mismatch { command, text });
        // Resynchronise: out of any transaction, both servers empty, both on db 0.
        for c in [&mut self.f, &mut self.r] {
            let _ = Runner::request(c, &[b"DISCARD".to_vec()]);
            let _ = Runner::request(c, &[b"UNWATCH".to_vec()]);
            let _ = Runner::request(c, &[b"FLUSHALL".to_vec()]);
            let _ = Runner::request(c, &[b"SELECT".to_vec(), b"0".to_vec()]);
        }
        self.history.clear();
    }

    fn run(&mut self, idx: usize, cmd: &Cmd) {
        match cmd.check {
            Check::Exact => {
                let (f, r) = self.both(&cmd.args);
                let (fs, rs) = (fmt_reply(&f), fmt_reply(&r));
                if f != r {
                    self.mismatch(idx, cmd, "replies differ", &fs, &rs);
                } else {
                    self.note(idx, &cmd.args, &rs);
                }
            }
            Check::Within(tolerance) => {
                let (f, r) = self.both(&cmd.args);
                let (fs, rs) = (fmt_reply(&f), fmt_reply(&r));
                let int = |b: &Result<Vec<u8>, String>| -> Option<i64> {
                    let b = b.as_ref().ok()?;
                    std::str::from_utf8(b.strip_prefix(b":")?)
                        .ok()?
                        .trim_end()
                        .parse()
                        .ok()
                };
                let close = match (int(&f), int(&r)) {
                    (Some(a), Some(b)) => {
                        a == b || (a >= 0 && b >= 0 && (a - b).abs() <= tolerance)
                    }
                    _ => f == r,
                };
                if close {
                    self.note(idx, &cmd.args, &rs);
                } else {
                    self.mismatch(idx, cmd, "TTL replies differ beyond tolerance", &fs, &rs);
                }
            }
            Check::Unordered => {
                let (f, r) = self.both(&cmd.args);
                let (fs, rs) = (fmt_reply(&f), fmt_reply(&r));
                if sorted_array(&f) != sorted_array(&r) {
                    self.mismatch(idx, cmd, "replies differ as sets", &fs, &rs);
                } else {
                    self.note(idx, &cmd.args, &rs);
                }
            }
            Check::RandomKey => {
                let dbsize = vec![b"DBSIZE".to_vec()];
                let (f, r) = self.both(&dbsize);
                if f != r {
                    let probe = Cmd::new(dbsize);
                    self.mismatch(
                        idx,
                        &probe,
                        "DBSIZE before RANDOMKEY",
                        &fmt_reply(&f),
                        &fmt_reply(&r),
                    );
                    return;
                }
                self.note(idx, &dbsize, &fmt_reply(&r));
                if matches!(&r, Ok(b) if b == b":0\r\n" || b == b":1\r\n") {
                    let (f, r) = self.both(&cmd.args);
                    if f != r {
                        self.mismatch(idx, cmd, "replies differ", &fmt_reply(&f), &fmt_reply(&r));
                    } else {
                        self.note(idx, &cmd.args, &fmt_reply(&r));
                    }
                }
            }
            Check::ScanAll => {
                let f = scan_all(&mut self.f, &cmd.args);
                let r = scan_all(&mut self.r, &cmd.args);
                if f != r {
                    self.mismatch(
                        idx,
                        cmd,
                        "full SCAN iterations differ",
                        &format!("{f:?}"),
                        &format!("{r:?}"),
                    );
                } else {
                    self.note(idx, &cmd.args, &format!("{r:?}"));
                }
            }
        }
    }
}

fn fmt_reply(r: &Result<Vec<u8>, String>) -> String {
    match r {
        Ok(b) => format!("\"{}\"", show_short(b, 600)),
        Err(e) => e.clone(),
    }
}

/// The elements of an array reply, sorted; anything else as is.
fn sorted_array(r: &Result<Vec<u8>, String>) -> Result<Vec<Vec<u8>>, String> {
    let bytes = r.clone()?;
    match decode(&bytes) {
        Resp::Array(Some(items)) => {
            let mut out: Vec<Vec<u8>> = items.iter().map(|i| format!("{i:?}").into()).collect();
            out.sort();
            Ok(out)
        }
        _ => Ok(vec![bytes]),
    }
}

/// What a complete SCAN iteration found: the set of keys, or the first reply if it was not a
/// cursor + keys array (an error).
#[derive(Debug, PartialEq, Eq)]
enum ScanResult {
    Keys(BTreeSet<String>),
    Reply(String),
}

fn scan_all(c: &mut Raw, args: &[Vec<u8>]) -> ScanResult {
    let mut args = args.to_vec();
    let mut keys = BTreeSet::new();
    for _ in 0..10_000 {
        let reply = match Runner::request(c, &args) {
            Ok(b) => b,
            Err(e) => return ScanResult::Reply(e),
        };
        let (cursor, page) = match decode(&reply) {
            Resp::Array(Some(items)) if items.len() == 2 => match (&items[0], &items[1]) {
                (Resp::Bulk(Some(cur)), Resp::Array(Some(page))) => (cur.clone(), page.clone()),
                _ => return ScanResult::Reply(show(&reply)),
            },
            _ => return ScanResult::Reply(show(&reply)),
        };
        for k in page {
            match k {
                Resp::Bulk(Some(k)) => {
                    keys.insert(show(&k));
                }
                other => return ScanResult::Reply(format!("non-bulk key {other:?}")),
            }
        }
        if cursor == b"0" {
            return ScanResult::Keys(keys);
        }
        args[1] = cursor;
    }
    ScanResult::Reply("SCAN did not finish in 10000 calls".into())
}

fn env_list(name: &str) -> Vec<String> {
    std::env::var(name)
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn active_specs() -> Vec<&'static Spec> {
    let only = env_list("DIFF_ONLY");
    let skip = env_list("DIFF_SKIP");
    SPECS
        .iter()
        .filter(|s| only.is_empty() || only.iter().any(|o| o == s.name))
        .filter(|s| !skip.iter().any(|o| o == s.name))
        .collect()
}

pub fn generate(g: &mut Gen, specs: &[&Spec]) -> Cmd {
    let total: u32 = specs.iter().map(|s| s.weight).sum();
    let mut n = g.rng.below(total as usize) as u32;
    for s in specs {
        if n < s.weight {
            return (s.gen)(g);
        }
        n -= s.weight;
    }
    unreachable!("weights")
}

fn run_seed(
    ferrodis: &Server,
    redis: &Server,
    seed: u64,
    commands: usize,
    resp: u8,
) -> Vec<Mismatch> {
    let mut runner = Runner {
        seed,
        resp,
        f: ferrodis.raw(),
        r: redis.raw(),
        history: VecDeque::new(),
        mismatches: Vec::new(),
        keep_going: std::env::var("DIFF_KEEP_GOING").is_ok_and(|v| v != "0" && !v.is_empty()),
        stats: BTreeMap::new(),
    };
    // Start from the same, empty state, in the same protocol.
    for c in [&mut runner.f, &mut runner.r] {
        if resp == 3 {
            let hello = Runner::request(c, &[b"HELLO".to_vec(), b"3".to_vec()]).expect("HELLO");
            assert!(
                hello.starts_with(b"%"),
                "HELLO 3: {}",
                show_short(&hello, 200)
            );
        }
        Runner::request(c, &[b"FLUSHALL".to_vec()]).expect("FLUSHALL");
    }
    let specs = active_specs();
    assert!(!specs.is_empty(), "DIFF_ONLY/DIFF_SKIP left no generator");
    let mut g = Gen::new(seed);
    let mut in_multi = false;
    for idx in 0..commands {
        let cmd = generate(&mut g, &specs);
        if known_difference(&cmd.args).is_some() {
            continue;
        }
        // Inside MULTI only byte-exact commands: the others' replies (KEYS order, TTLs, the
        // probes of RANDOMKEY and SCAN) cannot be compared once EXEC folds them into one array.
        if in_multi && !matches!(cmd.check, Check::Exact) {
            continue;
        }
        let mismatches = runner.mismatches.len();
        runner.run(idx, &cmd);
        in_multi = in_multi_after(in_multi, &cmd.args) && runner.mismatches.len() == mismatches;
    }
    // Shown with --nocapture: how many commands of each kind ran, and how many were errors.
    let mut summary = format!("RESP{resp} seed {seed}: commands (errors)");
    for (name, (n, errors)) in &runner.stats {
        if *n >= 5 {
            summary.push_str(&format!(" {name}:{n}({errors})"));
        }
    }
    eprintln!("{summary}");
    runner.mismatches
}

pub fn differential(default_seeds: &[u64], resp: u8) {
    let seeds: Vec<u64> = match std::env::var("DIFF_SEED") {
        Ok(s) => vec![s.trim().parse().expect("DIFF_SEED must be an integer")],
        Err(_) => default_seeds.to_vec(),
    };
    let commands: usize = std::env::var("DIFF_COMMANDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8000);
    let (ferrodis, redis) = thread::scope(|s| {
        let r = s.spawn(Server::redis);
        (Server::ferrodis(&[]), r.join().expect("redis"))
    });
    let mut all = Vec::new();
    for seed in seeds {
        all.extend(run_seed(&ferrodis, &redis, seed, commands, resp));
    }
    if !all.is_empty() {
        let mut by_cmd: BTreeMap<String, Vec<&Mismatch>> = BTreeMap::new();
        for m in &all {
            by_cmd.entry(m.command.clone()).or_default().push(m);
        }
        let mut text = format!("{} mismatches over {} commands:\n", all.len(), by_cmd.len());
        for (cmd, ms) in &by_cmd {
            text.push_str(&format!("== {cmd}: {} mismatches\n", ms.len()));
            for m in ms.iter().take(2) {
                text.push_str(&m.text);
                text.push('\n');
            }
        }
        panic!("{text}");
    }
}
