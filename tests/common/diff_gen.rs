//! The command generator of the differential tests (`differential`, `differential_resp3`):
//! a seeded PRNG, the argument pools, one generator per command and the `SPECS` table that
//! lists them, and the known differences from Redis. Included with
//! `#[path = "common/diff_gen.rs"] mod diff_gen;` next to `mod common;`.

// ---------------------------------------------------------------------------------------------
// Deterministic PRNG (splitmix64): no external crate, same stream on every platform.
// ---------------------------------------------------------------------------------------------

pub struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Argument pools
// ---------------------------------------------------------------------------------------------

/// A small key space so that commands collide on the same keys.
const KEYS: &[&[u8]] = &[
    b"k0", b"k1", b"k2", b"k3", b"k4", b"a", b"ab", b"abc", b"b", b"key:1", b"key:2", b"x*y",
    b"[k]", b"h\\z", b"\x00bin", b"k\r\n", b"",
];

const INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "10",
    "-10",
    "42",
    "100",
    "-100",
    "1000000",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775806",
    "-9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999",
    "abc",
    "1.5",
    "",
    "+5",
    " 5",
    "5 ",
    "0x10",
    "007",
    "-0",
    "1e3",
];

const FLOATS: &[&str] = &[
    "0",
    "1",
    "-1",
    "0.1",
    "-0.1",
    "0.2",
    "1.5",
    "-2.5",
    "3.0e3",
    "1e-5",
    "2.5e-10",
    "5e-324",
    "1.7976931348623157e308",
    "1e309",
    "inf",
    "-inf",
    "+inf",
    "nan",
    "abc",
    "",
    "1.5.5",
    " 1",
    "1 ",
    "0x1p3",
    "10",
    "-0",
    "123456789.123456789",
    "1e20",
    ".5",
    "5.",
    "1,5",
    "9223372036854775807",
    "3.14159265358979323846",
];

const INDEXES: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "5",
    "10",
    "-1",
    "-2",
    "-3",
    "-5",
    "-10",
    "100",
    "-100",
    "9223372036854775807",
    "-9223372036854775808",
    "abc",
    "1.5",
];

const DBS: &[&str] = &[
    "0", "1", "2", "0", "1", "2", "3", "15", "16", "-1", "abc", "1.0", "",
];

/// Characters patterns are built from: glob specials plus the letters the keys use.
const PATTERN_CHARS: &[u8] = b"kab0123:*?*?[]^-\\xyz\x00";

pub struct Gen {
    pub rng: Rng,
    pub now_s: u64,
}

impl Gen {
    pub fn new(seed: u64) -> Gen {
        let now_s = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(1_700_000_000);
        Gen {
            rng: Rng::new(seed),
            now_s,
        }
    }

    /// A keyword in random letter case.
    fn kw(&mut self, word: &str) -> Vec<u8> {
        match self.rng.below(4) {
            0 => word.to_ascii_lowercase().into_bytes(),
            1 => word
                .bytes()
                .map(|b| {
                    if self.rng.chance(50) {
                        b.to_ascii_lowercase()
                    } else {
                        b.to_ascii_uppercase()
                    }
                })
                .collect(),
            _ => word.to_ascii_uppercase().into_bytes(),
        }
    }

    /// One of `words`, in random letter case.
    fn kw_pick(&mut self, words: &[&str]) -> Vec<u8> {
        let w = words[self.rng.below(words.len())];
        self.kw(w)
    }

    fn key(&mut self) -> Vec<u8> {
        // The first few keys are the hot ones.
        if self.rng.chance(60) {
            KEYS[self.rng.below(5)].to_vec()
        } else {
            self.rng.pick(KEYS).to_vec()
        }
    }

    fn keys(&mut self, min: usize, max: usize) -> Vec<Vec<u8>> {
        let n = min + self.rng.below(max - min + 1);
        (0..n).map(|_| self.key()).collect()
    }

    fn int(&mut self) -> Vec<u8> {
        if self.rng.chance(40) {
            let v = self.rng.range(0, 2000) as i64 - 1000;
            v.to_string().into_bytes()
        } else {
            self.rng.pick(INTS).as_bytes().to_vec()
        }
    }

    fn float(&mut self) -> Vec<u8> {
        match self.rng.below(10) {
            0..=2 => {
                let whole = self.rng.range(0, 2000) as i64 - 1000;
                let frac = self.rng.range(0, 999);
                format!("{whole}.{frac:03}").into_bytes()
            }
            3 => self.int(),
            _ => self.rng.pick(FLOATS).as_bytes().to_vec(),
        }
    }

    fn index(&mut self) -> Vec<u8> {
        if self.rng.chance(50) {
            (self.rng.range(0, 30) as i64 - 15).to_string().into_bytes()
        } else {
            self.rng.pick(INDEXES).as_bytes().to_vec()
        }
    }

    fn db(&mut self) -> Vec<u8> {
        self.rng.pick(DBS).as_bytes().to_vec()
    }

    fn ascii(&mut self, len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| b"abcdefghijklmnopqrstuvwxyz0123456789 -_"[self.rng.below(39)])
            .collect()
    }

    /// A value: integers, floats, binary, empty, around the 44-byte embstr limit, ...
    fn value(&mut self) -> Vec<u8> {
        match self.rng.below(20) {
            0..=3 => self.int(),
            4..=5 => self.float(),
            6 => Vec::new(),
            7 => {
                let n = self.rng.below(12);
                (0..n)
                    .map(|_| *self.rng.pick(b"\x00\r\n\xff\x01a$*:"))
                    .collect()
            }
            8 => {
                let n = 40 + self.rng.below(10); // 40..49: both sides of 44
                self.ascii(n)
            }
            9 => {
                let n = 50 + self.rng.below(100);
                self.ascii(n)
            }
            10 => self.rng.pick(KEYS).to_vec(),
            _ => {
                let n = self.rng.below(12);
                self.ascii(n)
            }
        }
    }

    fn pattern(&mut self) -> Vec<u8> {
        match self.rng.below(10) {
            0 => b"*".to_vec(),
            1 => {
                let mut k = self.key();
                k.push(b'*');
                k
            }
            2 => self.key(),
            _ => {
                let n = self.rng.below(7);
                (0..n).map(|_| *self.rng.pick(PATTERN_CHARS)).collect()
            }
        }
    }

    /// A relative expire that cannot run out during a test run, or a bad one.
    fn expire_value(&mut self, unit_ms: bool, absolute: bool) -> Vec<u8> {
        if self.rng.chance(85) {
            let secs = if absolute {
                self.now_s + self.rng.range(1000, 10_000_000)
            } else {
                self.rng.range(100, 10_000_000)
            };
            let v = if unit_ms {
                secs * 1000 + self.rng.range(0, 999)
            } else {
                secs
            };
            v.to_string().into_bytes()
        } else {
            self.rng
                .pick(&[
                    "0",
                    "-1",
                    "-100",
                    "abc",
                    "1.5",
                    "",
                    "9223372036854775807",
                    "9223372036854775808",
                    "9223372036854775",
                    "92233720368547758",
                ])
                .as_bytes()
                .to_vec()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Commands and how their replies are compared
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Byte for byte.
    Exact,
    /// An array whose order is unspecified (KEYS): compared as sorted lists.
    Unordered,
    /// `args` is a SCAN with cursor placeholder at index 1: iterate to the end on each server
    /// and compare the sets of keys returned.
    ScanAll,
    /// RANDOMKEY, sent only when both servers report DBSIZE <= 1.
    RandomKey,
    /// TTL-like integer replies: equal, or both non-negative and within `n` of each other
    /// (the two servers read their clocks at slightly different moments).
    Within(i64),
}

pub struct Cmd {
    pub args: Vec<Vec<u8>>,
    pub check: Check,
}

impl Cmd {
    pub fn new(args: Vec<Vec<u8>>) -> Cmd {
        Cmd {
            args,
            check: Check::Exact,
        }
    }
}

pub type GenFn = fn(&mut Gen) -> Cmd;

/// One generator: `name` (lower case, `container|sub` for subcommands) and `arity` are Redis's.
pub struct Spec {
    pub name: &'static str,
    arity: i32,
    pub weight: u32,
    pub gen: GenFn,
}

macro_rules! args {
    ($($e:expr),* $(,)?) => { vec![$(Vec::<u8>::from($e)),*] };
}

// ---- strings ----

fn gen_set(g: &mut Gen) -> Cmd {
    let mut args = args![g.kw("SET"), g.key(), g.value()];
    let mut opts: Vec<Vec<Vec<u8>>> = Vec::new();
    if g.rng.chance(85) {
        // A valid combination, in random order.
        match g.rng.below(3) {
            0 => opts.push(vec![g.kw("NX")]),
            1 => opts.push(vec![g.kw("XX")]),
            _ => {}
        }
        if g.rng.chance(30) {
            opts.push(vec![g.kw("GET")]);
        }
        match g.rng.below(8) {
            0 => opts.push(vec![g.kw("EX"), g.expire_value(false, false)]),
            1 => opts.push(vec![g.kw("PX"), g.expire_value(true, false)]),
            2 => opts.push(vec![g.kw("EXAT"), g.expire_value(false, true)]),
            3 => opts.push(vec![g.kw("PXAT"), g.expire_value(true, true)]),
            4 => opts.push(vec![g.kw("KEEPTTL")]),
            _ => {}
        }
    } else {
        // Anything goes: conflicts, repeats, unknown options, missing values.
        for _ in 0..1 + g.rng.below(3) {
            let opt = match g.rng.below(10) {
                0 => vec![g.kw("NX")],
                1 => vec![g.kw("XX")],
                2 => vec![g.kw("GET")],
                3 => vec![g.kw("EX"), g.expire_value(false, false)],
                4 => vec![g.kw("PX"), g.expire_value(true, false)],
                5 => vec![g.kw("EXAT"), g.expire_value(false, true)],
                6 => vec![g.kw("PXAT"), g.expire_value(true, true)],
                7 => vec![g.kw("KEEPTTL")],
                8 => vec![g.kw_pick(&["EX", "PX", "EXAT", "PXAT"])],
                _ => vec![g.kw_pick(&["FOO", "NXX", "E", "PERSIST"])],
            };
            opts.push(opt);
        }
    }
    g.rng.shuffle(&mut opts);
    args.extend(opts.into_iter().flatten());
    Cmd::new(args)
}

fn gen_get(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("GET"), g.key()])
}

fn gen_getset(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("GETSET"), g.key(), g.value()])
}

fn gen_getdel(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("GETDEL"), g.key()])
}

fn gen_getex(g: &mut Gen) -> Cmd {
    let mut args = args![g.kw("GETEX"), g.key()];
    let n = match g.rng.below(10) {
        0..=2 => 0,
        3..=8 => 1,
        _ => 2,
    };
    for _ in 0..n {
        match g.rng.below(9) {
            0 => args.extend([g.kw("EX"), g.expire_value(false, false)]),
            1 => args.extend([g.kw("PX"), g.expire_value(true, false)]),
            2 => args.extend([g.kw("EXAT"), g.expire_value(false, true)]),
            3 => args.extend([g.kw("PXAT"), g.expire_value(true, true)]),
            4 => args.push(g.kw("PERSIST")),
            // A deadline in the past deletes the key at once: deterministic.
            5 => args.extend([g.kw("EXAT"), b"1".to_vec()]),
            6 => args.extend([g.kw("PXAT"), (g.now_s * 1000 - 5000).to_string().into()]),
            7 => args.push(g.kw_pick(&["EX", "KEEPTTL", "GET", "NX"])),
            _ => args.extend([g.kw("EX"), g.int()]),
        }
    }
    Cmd::new(args)
}

fn gen_setnx(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("SETNX"), g.key(), g.value()])
}

fn gen_setex(g: &mut Gen) -> Cmd {
    Cmd::new(args![
        g.kw("SETEX"),
        g.key(),
        g.expire_value(false, false),
        g.value()
    ])
}

fn gen_psetex(g: &mut Gen) -> Cmd {
    Cmd::new(args![
        g.kw("PSETEX"),
        g.key(),
        g.expire_value(true, false),
        g.value()
    ])
}

fn gen_mset_like(g: &mut Gen, name: &str) -> Cmd {
    let mut args = args![g.kw(name)];
    let pairs = 1 + g.rng.below(4);
    for _ in 0..pairs {
        args.push(g.key());
        args.push(g.value());
    }
    if g.rng.chance(5) {
        args.pop(); // odd: wrong number of arguments
    }
    Cmd::new(args)
}

fn gen_mset(g: &mut Gen) -> Cmd {
    gen_mset_like(g, "MSET")
}

fn gen_msetnx(g: &mut Gen) -> Cmd {
    gen_mset_like(g, "MSETNX")
}

fn gen_mget(g: &mut Gen) -> Cmd {
    let mut args = args![g.kw("MGET")];
    args.extend(g.keys(1, 6));
    Cmd::new(args)
}

fn gen_append(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("APPEND"), g.key(), g.value()])
}

fn gen_strlen(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("STRLEN"), g.key()])
}

fn gen_incr(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("INCR"), g.key()])
}

fn gen_decr(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("DECR"), g.key()])
}

fn gen_incrby(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("INCRBY"), g.key(), g.int()])
}

fn gen_decrby(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("DECRBY"), g.key(), g.int()])
}

fn gen_incrbyfloat(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("INCRBYFLOAT"), g.key(), g.float()])
}

fn gen_getrange(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("GETRANGE"), g.key(), g.index(), g.index()])
}

fn gen_substr(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("SUBSTR"), g.key(), g.index(), g.index()])
}

fn gen_setrange(g: &mut Gen) -> Cmd {
    let offset: Vec<u8> = if g.rng.chance(80) {
        g.rng.range(0, 60).to_string().into()
    } else {
        // 536870912 is past proto-max-bulk-len: an error (or the length, for an empty value),
        // never a 512 MB allocation.
        g.rng
            .pick(&["-1", "abc", "1.5", "536870912", "9223372036854775807", ""])
            .as_bytes()
            .to_vec()
    };
    let value = if g.rng.chance(10) {
        Vec::new()
    } else {
        g.value()
    };
    Cmd::new(args![g.kw("SETRANGE"), g.key(), offset, value])
}

// ---- bitmaps ----

fn bit_offset(g: &mut Gen) -> Vec<u8> {
    if g.rng.chance(85) {
        g.rng.range(0, 100).to_string().into()
    } else {
        // 4294967296 is past proto-max-bulk-len in bits: an error, never a 512 MB string.
        g.rng
            .pick(&["-1", "abc", "1.5", "4294967296", "9223372036854775807", ""])
            .as_bytes()
            .to_vec()
    }
}

fn gen_setbit(g: &mut Gen) -> Cmd {
    let bit: Vec<u8> = if g.rng.chance(90) {
        g.rng.below(2).to_string().into()
    } else {
        g.rng.pick(&["2", "-1", "x", ""]).as_bytes().to_vec()
    };
    Cmd::new(args![g.kw("SETBIT"), g.key(), bit_offset(g), bit])
}

fn gen_getbit(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("GETBIT"), g.key(), bit_offset(g)])
}

fn bit_unit(g: &mut Gen) -> Vec<u8> {
    if g.rng.chance(90) {
        g.kw_pick(&["BIT", "BYTE"])
    } else {
        g.kw_pick(&["BITS", "NIBBLE"])
    }
}

/// BITCOUNT/BITPOS's optional `start end [BYTE|BIT]`, sometimes cut short or overlong.
fn push_bit_range(g: &mut Gen, args: &mut Vec<Vec<u8>>) {
    match g.rng.below(6) {
        0 => {}
        1 => args.push(g.index()),
        2 | 3 => args.extend([g.index(), g.index()]),
        4 => args.extend([g.index(), g.index(), bit_unit(g)]),
        _ => args.extend([g.index(), g.index(), bit_unit(g), g.index()]),
    }
}

fn gen_bitcount(g: &mut Gen) -> Cmd {
    let mut args = args![g.kw("BITCOUNT"), g.key()];
    push_bit_range(g, &mut args);
    Cmd::new(args)
}

fn gen_bitpos(g: &mut Gen) -> Cmd {
    let bit: Vec<u8> = if g.rng.chance(90) {
        g.rng.below(2).to_string().into()
    } else {
        g.rng.pick(&["2", "-1", "x"]).as_bytes().to_vec()
    };
    let mut args = args![g.kw("BITPOS"), g.key(), bit];
    push_bit_range(g, &mut args);
    Cmd::new(args)
}

fn gen_bitop(g: &mut Gen) -> Cmd {
    let op = if g.rng.chance(90) {
        g.kw_pick(&["AND", "OR", "XOR", "NOT"])
    } else {
        g.kw_pick(&["NAND", "ANDX"])
    };
    let mut args = args![g.kw("BITOP"), op, g.key(), g.key()];
    for _ in 0..g.rng.below(3) {
        args.push(g.key());
    }
    Cmd::new(args)
}

fn gen_lcs(g: &mut Gen) -> Cmd {
    let mut args = args![g.kw("LCS"), g.key(), g.key()];
    let mut opts: Vec<Vec<Vec<u8>>> = Vec::new();
    for _ in 0..g.rng.below(4) {
        let o = match g.rng.below(6) {
            0 => vec![g.kw("LEN")],
            1 | 2 => vec![g.kw("IDX")],
            3 => vec![
                g.kw("MINMATCHLEN"),
                g.rng
                    .pick(&["0", "1", "2", "3", "4", "-1", "abc", "100"])
                    .as_bytes()
                    .to_vec(),
            ],
            4 => vec![g.kw("WITHMATCHLEN")],
            _ => vec![g.kw_pick(&["FOO", "MINMATCHLEN"])],
        };
        opts.push(o);
    }
    g.rng.shuffle(&mut opts);
    args.extend(opts.into_iter().flatten());
    Cmd::new(args)
}

// ---- keys ----

fn gen_multi_key(g: &mut Gen, name: &str) -> Cmd {
    let mut args = args![g.kw(name)];
    args.extend(g.keys(1, 5));
    Cmd::new(args)
}

fn gen_del(g: &mut Gen) -> Cmd {
    gen_multi_key(g, "DEL")
}

fn gen_unlink(g: &mut Gen) -> Cmd {
    gen_multi_key(g, "UNLINK")
}

fn gen_exists(g: &mut Gen) -> Cmd {
    gen_multi_key(g, "EXISTS")
}

fn gen_touch(g: &mut Gen) -> Cmd {
    gen_multi_key(g, "TOUCH")
}

fn gen_type(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("TYPE"), g.key()])
}

fn gen_keys(g: &mut Gen) -> Cmd {
    Cmd {
        args: args![g.kw("KEYS"), g.pattern()],
        check: Check::Unordered,
    }
}

fn gen_rename(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("RENAME"), g.key(), g.key()])
}

fn gen_renamenx(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("RENAMENX"), g.key(), g.key()])
}

fn gen_copy(g: &mut Gen) -> Cmd {
    let mut args = args![g.kw("COPY"), g.key(), g.key()];
    let mut opts: Vec<Vec<Vec<u8>>> = Vec::new();
    if g.rng.chance(50) {
        opts.push(vec![g.kw("DB"), g.db()]);
    }
    if g.rng.chance(40) {
        opts.push(vec![g.kw("REPLACE")]);
    }
    if g.rng.chance(5) {
        opts.push(vec![g.kw_pick(&["DB", "FOO", "REPLACE"])]);
    }
    g.rng.shuffle(&mut opts);
    args.extend(opts.into_iter().flatten());
    Cmd::new(args)
}

fn gen_move(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("MOVE"), g.key(), g.db()])
}

fn gen_swapdb(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("SWAPDB"), g.db(), g.db()])
}

fn gen_select(g: &mut Gen) -> Cmd {
    let db: Vec<u8> = if g.rng.chance(70) {
        g.rng.below(3).to_string().into()
    } else {
        g.db()
    };
    Cmd::new(args![g.kw("SELECT"), db])
}

fn gen_dbsize(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("DBSIZE")])
}

fn gen_flushdb(g: &mut Gen) -> Cmd {
    let mut args = args![g.kw("FLUSHDB")];
    match g.rng.below(6) {
        0 => args.push(g.kw("ASYNC")),
        1 => args.push(g.kw("SYNC")),
        2 => args.push(g.kw_pick(&["LAZY", "ASYNC"])),
        _ => {}
    }
    Cmd::new(args)
}

fn gen_object_encoding(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("OBJECT"), g.kw("ENCODING"), g.key()])
}

fn gen_object_misc(g: &mut Gen) -> Cmd {
    match g.rng.below(3) {
        0 => Cmd::new(args![g.kw("OBJECT"), g.kw("HELP")]),
        1 => Cmd::new(args![g.kw("OBJECT"), g.kw("NOSUCHSUB"), g.key()]),
        _ => Cmd::new(args![g.kw("OBJECT")]),
    }
}

fn gen_randomkey(g: &mut Gen) -> Cmd {
    Cmd {
        args: args![g.kw("RANDOMKEY")],
        check: Check::RandomKey,
    }
}

fn gen_scan(g: &mut Gen) -> Cmd {
    let mut args = args![g.kw("SCAN"), b"0".to_vec()];
    let mut check = Check::ScanAll;
    let mut opts: Vec<Vec<Vec<u8>>> = Vec::new();
    if g.rng.chance(50) {
        opts.push(vec![g.kw("MATCH"), g.pattern()]);
    }
    if g.rng.chance(50) {
        let count = if g.rng.chance(85) {
            (1 + g.rng.below(20)).to_string().into()
        } else {
            g.rng.pick(&["0", "-1", "abc"]).as_bytes().to_vec()
        };
        opts.push(vec![g.kw("COUNT"), count]);
    }
    if g.rng.chance(20) {
        let t = g
            .rng
            .pick(&["string", "STRING", "list", "hash", "none", "foo"]);
        opts.push(vec![g.kw("TYPE"), t.as_bytes().to_vec()]);
    }
    if g.rng.chance(3) {
        opts.push(vec![g.kw_pick(&["MATCH", "COUNT", "FOO"])]);
    }
    g.rng.shuffle(&mut opts);
    args.extend(opts.into_iter().flatten());
    if g.rng.chance(5) {
        // A bad cursor: one call, compared exactly.
        // A bad cursor: one call, compared exactly. (Redis parses cursors with strtoul, so
        // "" and "-1" are valid cursors; their pages are implementation-defined.)
        args[1] = g
            .rng
            .pick(&["abc", "1.5", "18446744073709551616", "1x"])
            .as_bytes()
            .to_vec();
        check = Check::Exact;
    } else if g.rng.chance(5) {
        args[1] = Vec::new(); // same as cursor 0
    }
    Cmd { args, check }
}

// ---- connection ----

fn gen_ping(g: &mut Gen) -> Cmd {
    match g.rng.below(10) {
        0..=4 => Cmd::new(args![g.kw("PING")]),
        5..=8 => Cmd::new(args![g.kw("PING"), g.value()]),
        _ => Cmd::new(args![g.kw("PING"), g.value(), g.value()]),
    }
}

fn gen_echo(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("ECHO"), g.value()])
}

// ---- transactions ----

fn gen_multi(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("MULTI")])
}

fn gen_exec(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("EXEC")])
}

fn gen_discard(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("DISCARD")])
}

fn gen_watch(g: &mut Gen) -> Cmd {
    let mut args = args![g.kw("WATCH"), g.key()];
    while g.rng.chance(30) {
        args.push(g.key());
    }
    Cmd::new(args)
}

fn gen_unwatch(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("UNWATCH")])
}

/// Whether the connection is inside MULTI after `args` ran, given it was (`before`).
pub fn in_multi_after(before: bool, args: &[Vec<u8>]) -> bool {
    let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
    let exact = args.len() == 1;
    match name.as_str() {
        "multi" if exact => true,
        // EXEC with extra arguments aborts and ends the transaction too.
        "exec" => false,
        "discard" | "reset" if exact => false,
        _ => before,
    }
}

// ---- generic error paths ----

fn gen_wrong_arity(g: &mut Gen) -> Cmd {
    loop {
        let spec = g.rng.pick(SPECS);
        if spec.arity == 0 {
            continue;
        }
        let total = if spec.arity > 0 {
            let a = spec.arity as usize;
            let mut choices: Vec<usize> = (1..a).collect();
            choices.extend([a + 1, a + 2]);
            *g.rng.pick(&choices)
        } else {
            let min = (-spec.arity) as usize;
            if min <= 1 {
                continue;
            }
            1 + g.rng.below(min - 1)
        };
        let mut args: Vec<Vec<u8>> = spec.name.split('|').map(|p| g.kw(p)).collect();
        if args.len() > total {
            // A container command with fewer words than its name: keep the first word only.
            args.truncate(1);
        }
        while args.len() < total {
            args.push(g.key());
        }
        if known_difference(&args).is_some() {
            continue;
        }
        return Cmd::new(args);
    }
}

fn gen_unknown(g: &mut Gen) -> Cmd {
    const NAMES: &[&[u8]] = &[
        b"NOSUCHCOMMAND",
        b"getx",
        b"sett",
        b"x",
        b"\x00",
        b"get\r\n",
        b"",
        b"very-long-command-name-that-goes-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-\
          on-and-on-and-on-and-on-and-on-and-on",
    ];
    let name = g.rng.pick(NAMES);
    let mut args = vec![name.to_vec()];
    for _ in 0..g.rng.below(4) {
        args.push(g.value());
    }
    Cmd::new(args)
}

// ---- TTLs ----

fn expire_conditions(g: &mut Gen, args: &mut Vec<Vec<u8>>) {
    // Mostly valid single conditions, sometimes conflicting or unknown ones.
    match g.rng.below(10) {
        0..=3 => {}
        4..=7 => args.push(g.kw_pick(&["NX", "XX", "GT", "LT"])),
        8 => {
            args.push(g.kw_pick(&["NX", "GT"]));
            args.push(g.kw_pick(&["XX", "LT"]));
        }
        _ => args.push(g.kw_pick(&["BOGUS", "PX"])),
    }
}

fn gen_expire_family(g: &mut Gen) -> Cmd {
    let (name, ms, abs) = match g.rng.below(4) {
        0 => ("EXPIRE", false, false),
        1 => ("PEXPIRE", true, false),
        2 => ("EXPIREAT", false, true),
        _ => ("PEXPIREAT", true, true),
    };
    let mut args = args![g.kw(name), g.key(), g.expire_value(ms, abs)];
    expire_conditions(g, &mut args);
    Cmd::new(args)
}

fn gen_ttl_family(g: &mut Gen) -> Cmd {
    let (name, tolerance) = match g.rng.below(4) {
        0 => ("TTL", 1),
        1 => ("PTTL", 1000),
        2 => ("EXPIRETIME", 1),
        _ => ("PEXPIRETIME", 1000),
    };
    Cmd {
        args: args![g.kw(name), g.key()],
        check: Check::Within(tolerance),
    }
}

fn gen_persist(g: &mut Gen) -> Cmd {
    Cmd::new(args![g.kw("PERSIST"), g.key()])
}

/// The generators, with Redis 7.0 arities. Weights are relative.
pub const SPECS: &[Spec] = &[
    // TTLs
    Spec {
        name: "expire",
        arity: -3,
        weight: 4,
        gen: gen_expire_family,
    },
    Spec {
        name: "ttl",
        arity: 2,
        weight: 3,
        gen: gen_ttl_family,
    },
    Spec {
        name: "persist",
        arity: 2,
        weight: 1,
        gen: gen_persist,
    },
    // strings
    Spec {
        name: "set",
        arity: -3,
        weight: 12,
        gen: gen_set,
    },
    Spec {
        name: "get",
        arity: 2,
        weight: 10,
        gen: gen_get,
    },
    Spec {
        name: "getset",
        arity: 3,
        weight: 2,
        gen: gen_getset,
    },
    Spec {
        name: "getdel",
        arity: 2,
        weight: 2,
        gen: gen_getdel,
    },
    Spec {
        name: "getex",
        arity: -2,
        weight: 3,
        gen: gen_getex,
    },
    Spec {
        name: "setnx",
        arity: 3,
        weight: 2,
        gen: gen_setnx,
    },
    Spec {
        name: "setex",
        arity: 4,
        weight: 2,
        gen: gen_setex,
    },
    Spec {
        name: "psetex",
        arity: 4,
        weight: 2,
        gen: gen_psetex,
    },
    Spec {
        name: "mset",
        arity: -3,
        weight: 3,
        gen: gen_mset,
    },
    Spec {
        name: "msetnx",
        arity: -3,
        weight: 2,
        gen: gen_msetnx,
    },
    Spec {
        name: "mget",
        arity: -2,
        weight: 3,
        gen: gen_mget,
    },
    Spec {
        name: "append",
        arity: 3,
        weight: 3,
        gen: gen_append,
    },
    Spec {
        name: "strlen",
        arity: 2,
        weight: 2,
        gen: gen_strlen,
    },
    Spec {
        name: "incr",
        arity: 2,
        weight: 4,
        gen: gen_incr,
    },
    Spec {
        name: "decr",
        arity: 2,
        weight: 2,
        gen: gen_decr,
    },
    Spec {
        name: "incrby",
        arity: 3,
        weight: 4,
        gen: gen_incrby,
    },
    Spec {
        name: "decrby",
        arity: 3,
        weight: 3,
        gen: gen_decrby,
    },
    Spec {
        name: "incrbyfloat",
        arity: 3,
        weight: 5,
        gen: gen_incrbyfloat,
    },
    Spec {
        name: "getrange",
        arity: 4,
        weight: 3,
        gen: gen_getrange,
    },
    Spec {
        name: "substr",
        arity: 4,
        weight: 1,
        gen: gen_substr,
    },
    Spec {
        name: "setrange",
        arity: 4,
        weight: 3,
        gen: gen_setrange,
    },
    Spec {
        name: "lcs",
        arity: -3,
        weight: 3,
        gen: gen_lcs,
    },
    // keys
    Spec {
        name: "del",
        arity: -2,
        weight: 4,
        gen: gen_del,
    },
    Spec {
        name: "unlink",
        arity: -2,
        weight: 2,
        gen: gen_unlink,
    },
    Spec {
        name: "exists",
        arity: -2,
        weight: 3,
        gen: gen_exists,
    },
    Spec {
        name: "type",
        arity: 2,
        weight: 2,
        gen: gen_type,
    },
    Spec {
        name: "touch",
        arity: -2,
        weight: 1,
        gen: gen_touch,
    },
    Spec {
        name: "keys",
        arity: 2,
        weight: 3,
        gen: gen_keys,
    },
    Spec {
        name: "rename",
        arity: 3,
        weight: 2,
        gen: gen_rename,
    },
    Spec {
        name: "renamenx",
        arity: 3,
        weight: 2,
        gen: gen_renamenx,
    },
    Spec {
        name: "copy",
        arity: -3,
        weight: 2,
        gen: gen_copy,
    },
    Spec {
        name: "move",
        arity: 3,
        weight: 2,
        gen: gen_move,
    },
    Spec {
        name: "swapdb",
        arity: 3,
        weight: 1,
        gen: gen_swapdb,
    },
    Spec {
        name: "select",
        arity: 2,
        weight: 2,
        gen: gen_select,
    },
    Spec {
        name: "dbsize",
        arity: 1,
        weight: 2,
        gen: gen_dbsize,
    },
    Spec {
        name: "flushdb",
        arity: -1,
        weight: 1,
        gen: gen_flushdb,
    },
    Spec {
        name: "object|encoding",
        arity: 3,
        weight: 3,
        gen: gen_object_encoding,
    },
    Spec {
        name: "object",
        arity: -2,
        weight: 1,
        gen: gen_object_misc,
    },
    Spec {
        name: "randomkey",
        arity: 1,
        weight: 1,
        gen: gen_randomkey,
    },
    Spec {
        name: "scan",
        arity: -2,
        weight: 2,
        gen: gen_scan,
    },
    // connection
    Spec {
        name: "ping",
        arity: -1,
        weight: 2,
        gen: gen_ping,
    },
    Spec {
        name: "echo",
        arity: 2,
        weight: 2,
        gen: gen_echo,
    },
    // bitmaps
    Spec {
        name: "setbit",
        arity: 4,
        weight: 3,
        gen: gen_setbit,
    },
    Spec {
        name: "getbit",
        arity: 3,
        weight: 2,
        gen: gen_getbit,
    },
    Spec {
        name: "bitcount",
        arity: -2,
        weight: 2,
        gen: gen_bitcount,
    },
    Spec {
        name: "bitpos",
        arity: -3,
        weight: 3,
        gen: gen_bitpos,
    },
    Spec {
        name: "bitop",
        arity: -4,
        weight: 2,
        gen: gen_bitop,
    },
    // transactions
    Spec {
        name: "multi",
        arity: 1,
        weight: 2,
        gen: gen_multi,
    },
    Spec {
        name: "exec",
        arity: 1,
        weight: 2,
        gen: gen_exec,
    },
    Spec {
        name: "discard",
        arity: 1,
        weight: 1,
        gen: gen_discard,
    },
    Spec {
        name: "watch",
        arity: -2,
        weight: 2,
        gen: gen_watch,
    },
    Spec {
        name: "unwatch",
        arity: 1,
        weight: 1,
        gen: gen_unwatch,
    },
    // error paths (arity 0: not a command, never picked by the wrong-arity generator)
    Spec {
        name: "(wrong arity)",
        arity: 0,
        weight: 4,
        gen: gen_wrong_arity,
    },
    Spec {
        name: "(unknown command)",
        arity: 0,
        weight: 1,
        gen: gen_unknown,
    },
];

/// Intentional differences from Redis 7.0 (see ../shared/design.md): never generated, and
/// never compared if a generator produces them by accident.
type ArgsPredicate = fn(&[Vec<u8>]) -> bool;

const KNOWN_DIFFERENCES: &[(&str, ArgsPredicate)] = &[
    // ferrodis keeps the roadmap's `KEYS` with no pattern as `KEYS *`; Redis: arity error.
    ("KEYS with no argument means KEYS *", |a| {
        a.len() == 1 && a[0].eq_ignore_ascii_case(b"keys")
    }),
    // Legacy aliases of DEL and FLUSHDB; unknown commands in Redis.
    ("DELETE is an alias of DEL", |a| {
        a[0].eq_ignore_ascii_case(b"delete")
    }),
    ("CLEAR is an alias of FLUSHDB", |a| {
        a[0].eq_ignore_ascii_case(b"clear")
    }),
];

pub fn known_difference(args: &[Vec<u8>]) -> Option<&'static str> {
    if args.is_empty() {
        return None;
    }
    KNOWN_DIFFERENCES
        .iter()
        .find(|(_, f)| f(args))
        .map(|(why, _)| *why)
}
